/**
 * Corpus loaders for the layouts people download (the Kaggle folders and the originals).
 * Each one walks a folder, parses its file names into clip metadata, harmonizes the label
 * into the shared Emotion set, and lists every file it did not use together with the reason.
 */
import { readdirSync, statSync, existsSync, realpathSync, type Dirent } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import type { Clip, LoadResult, SkippedFile } from '../types.ts';
import { probeWav, WavError } from '../audio/wav.ts';

import { CORPUS_TABLE, FILE_CORPORA, type FileCorpus } from './index.ts';
import type { LoaderOptions } from './parse.ts';
export { FILE_CORPORA, type FileCorpus, type LoaderOptions };
export { readCremaDemographics } from './crema-d.ts';

// ---------------------------------------------------------------- common walk
/**
 * Every file under `dir`, sorted, following symbolic links (corpora are often kept as links into
 * a shared store) with loop protection: a folder already visited (by its real path) is not
 * entered again. What cannot be read (permissions, a dangling link, a name that is not valid
 * UTF-8) is listed in `problems` with the reason, and the walk goes on.
 */
export function walk(dir: string): { files: string[]; problems: SkippedFile[] } {
  const files: string[] = [];
  const problems: SkippedFile[] = [];
  const seen = new Set<string>();
  const visit = (d: string) => {
    let real: string;
    try {
      real = realpathSync(d);
    } catch (e) {
      problems.push({ path: d, reason: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      return;
    }
    if (seen.has(real)) {
      problems.push({ path: d, reason: `folder already visited as ${real} (a symbolic link loop or a second link to it): not read twice` });
      return;
    }
    seen.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      problems.push({ path: d, reason: `folder cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, entry.name);
      if (entry.name.includes('\uFFFD')) {
        problems.push({ path: p, reason: 'file name is not valid UTF-8: rename it' });
        continue;
      }
      let isDir = entry.isDirectory(),
        isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = statSync(p);
          ((isDir = st.isDirectory()), (isFile = st.isFile()));
        } catch (e) {
          problems.push({ path: p, reason: `symbolic link to nothing readable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
          continue;
        }
      }
      if (isDir) visit(p);
      else if (isFile) files.push(p);
    }
  };
  visit(dir);
  return { files, problems };
}

/** Files that come with corpora and are not clips: not worth a "skipped" line. */
const IGNORED = /^(\.|readme|license|provenance|sha256sums|videodemographics\.csv$)/i;

export function loadCorpus(corpus: FileCorpus, dir: string, opts: LoaderOptions = {}): LoadResult {
  if (!existsSync(dir)) throw new Error(`${dir}: corpus folder does not exist (corpus ${corpus})`);
  if (!statSync(dir).isDirectory()) throw new Error(`${dir}: is not a folder (corpus ${corpus})`);
  const entry = CORPUS_TABLE[corpus];
  if (!entry) throw new Error(`unknown corpus "${corpus}" (known: ${FILE_CORPORA.join(', ')}; a corpus of your own: corpus: manifest)`);
  const clips: Clip[] = [];
  const { files, problems } = walk(dir);
  const parse = entry.parser(files, opts);
  const skipped: SkippedFile[] = [...problems];
  const notes: SkippedFile[] = [];
  const ids = new Set<string>();
  for (const path of files) {
    const file = basename(path);
    if (IGNORED.test(file)) continue;
    if (extname(file).toLowerCase() !== '.wav') {
      skipped.push({ path, reason: `not a WAV file (extension "${extname(file) || 'none'}")` });
      continue;
    }
    const meta = parse(file, relative(dir, path));
    if (typeof meta === 'string') {
      skipped.push({ path, reason: meta });
      continue;
    }
    let duration: number;
    try {
      const info = probeWav(path);
      duration = info.frames / info.sampleRate;
    } catch (e) {
      skipped.push({ path, reason: e instanceof WavError ? e.message.slice(path.length + 2) : String(e) });
      continue;
    }
    const id = `${corpus}/${file.replace(/\.wav$/i, '')}`;
    if (ids.has(id)) {
      skipped.push({ path, reason: `duplicate clip: another file named ${file} was already loaded` });
      continue;
    }
    ids.add(id);
    const { note, ...fields } = meta;
    if (note) notes.push({ path, reason: note });
    clips.push({ id, source: { kind: 'file', path }, corpus, ...fields, duration });
  }
  if (clips.length === 0) {
    skipped.push({ path: dir, reason: `no usable ${corpus} clips in this folder` });
  }
  return { clips, skipped, notes };
}

/**
 * Find corpora under `dir`: the folder itself or its direct sub-folders, recognised by name
 * (ravdess, tess, crema-d / cremad / crema, savee, case-insensitive, prefixes allowed).
 */
export function detectCorpora(dir: string): { corpus: FileCorpus; dir: string }[] {
  const recognise = (name: string): FileCorpus | undefined => {
    const n = name.toLowerCase().replace(/[^a-z]/g, '');
    return FILE_CORPORA.find((c) => CORPUS_TABLE[c].recognise(n));
  };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`);
  const self = recognise(basename(dir));
  if (self) return [{ corpus: self, dir }];
  const found: { corpus: FileCorpus; dir: string }[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const c = e.isDirectory() ? recognise(e.name) : undefined;
    if (c) found.push({ corpus: c, dir: join(dir, e.name) });
  }
  return found;
}
