/**
 * Corpus loaders for the layouts people download (the Kaggle folders and the originals).
 * Each one walks a folder, parses its file names into clip metadata, harmonizes the label
 * into the shared Emotion set, and lists every file it did not use together with the reason.
 */
import { readdirSync, statSync, existsSync, readFileSync, realpathSync, type Dirent } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import type { Clip, Emotion, Gender, LoadResult, SkippedFile } from './types.ts';
import { probeWav, WavError } from './wav.ts';

export const FILE_CORPORA = ['ravdess', 'tess', 'crema-d', 'savee'] as const;
export type FileCorpus = (typeof FILE_CORPORA)[number];

/** What a file name says about a clip; the loader adds id, source and corpus. `note`: accepted, but worth saying (a known misspelling). */
type ParsedName = Omit<Clip, 'id' | 'source' | 'corpus'> & { note?: string };
/** A parser returns the metadata, or a string saying why the name does not fit. */
type NameParser = (file: string, relPath: string) => ParsedName | string;

export interface LoaderOptions {
  /** CREMA-D only: a VideoDemographics.csv; by default one found in the corpus folder is used. */
  demographics?: string;
}

// ---------------------------------------------------------------- RAVDESS
const RAVDESS_EMOTIONS: Record<string, Emotion> = {
  '01': 'neutral',
  '02': 'calm',
  '03': 'happy',
  '04': 'sad',
  '05': 'angry',
  '06': 'fearful',
  '07': 'disgust',
  '08': 'surprised',
};
const RAVDESS_STATEMENTS: Record<string, string> = {
  '01': 'Kids are talking by the door',
  '02': 'Dogs are sitting by the door',
};

/** 03-01-EE-II-SS-RR-AA.wav: modality, vocal channel, emotion, intensity, statement, repetition, actor. */
const parseRavdess: NameParser = (file) => {
  const m = /^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.wav$/i.exec(file);
  if (!m) return 'name is not the RAVDESS 7-field pattern MM-VV-EE-II-SS-RR-AA.wav';
  const [, modality, channel, emo, intensity, statement, , actor] = m;
  if (modality !== '03') return `modality ${modality} is not audio-only (03)`;
  if (channel !== '01') return channel === '02' ? 'song, not speech (vocal channel 02)' : `unknown vocal channel ${channel}`;
  const emotion = RAVDESS_EMOTIONS[emo];
  if (!emotion) return `unknown RAVDESS emotion code ${emo}`;
  if (intensity !== '01' && intensity !== '02') return `unknown intensity code ${intensity}`;
  if (!RAVDESS_STATEMENTS[statement]) return `unknown statement code ${statement}`;
  const actorNo = Number(actor);
  if (actorNo < 1 || actorNo > 24) return `actor ${actor} outside 01–24`;
  return {
    speaker: `ravdess-${actor}`,
    gender: actorNo % 2 === 1 ? 'male' : 'female',
    emotion,
    originalLabel: emo,
    intensity: intensity === '01' ? 'normal' : 'strong',
    sentence: RAVDESS_STATEMENTS[statement],
  };
};

// ---------------------------------------------------------------- TESS
const TESS_EMOTIONS: Record<string, Emotion> = {
  angry: 'angry',
  disgust: 'disgust',
  fear: 'fearful',
  happy: 'happy',
  neutral: 'neutral',
  ps: 'surprised',
  sad: 'sad',
};
const TESS_AGES: Record<string, number> = { OAF: 64, YAF: 26 };

/** OAF_back_angry.wav / YAF_dog_ps.wav: speaker, word, emotion. Both speakers are female. */
const parseTess: NameParser = (file) => {
  const m = /^(OAF|OA|YAF)_([a-z]+)_([a-z]+)\.wav$/i.exec(file);
  if (!m) return 'name is not the TESS pattern OAF|YAF_<word>_<emotion>.wav';
  // The TESS release itself names a few OAF files "OA_…": the known misspelling is accepted, with a note.
  const misspelt = m[1].toUpperCase() === 'OA';
  const speaker = misspelt ? 'OAF' : m[1].toUpperCase();
  const label = m[3].toLowerCase();
  const emotion = TESS_EMOTIONS[label];
  if (!emotion) return `unknown TESS emotion "${m[3]}"`;
  return {
    speaker: `tess-${speaker}`,
    gender: 'female',
    age: TESS_AGES[speaker],
    emotion,
    originalLabel: label,
    sentence: `Say the word ${m[2].toLowerCase()}`,
    ...(misspelt ? { note: 'read as OAF_…: "OA_" is a known misspelling in the TESS release' } : {}),
  };
};

// ---------------------------------------------------------------- CREMA-D
const CREMA_EMOTIONS: Record<string, Emotion> = {
  ANG: 'angry',
  DIS: 'disgust',
  FEA: 'fearful',
  HAP: 'happy',
  NEU: 'neutral',
  SAD: 'sad',
};
const CREMA_LEVELS: Record<string, string> = { LO: 'low', MD: 'medium', HI: 'high', XX: 'unspecified' };
const CREMA_SENTENCES: Record<string, string> = {
  IEO: "It's eleven o'clock",
  TIE: 'That is exactly what happened',
  IOM: "I'm on my way to the meeting",
  IWW: 'I wonder what this is about',
  TAI: 'The airplane is almost full',
  MTI: 'Maybe tomorrow it will be cold',
  IWL: 'I would like a new alarm clock',
  ITH: "I think I have a doctor's appointment",
  DFA: "Don't forget a jacket",
  ITS: "I think I've seen this before",
  TSI: 'The surface is slick',
  WSI: "We'll stop in a couple of minutes",
};

interface Demographic {
  age?: number;
  gender?: Gender;
  race?: string;
  ethnicity?: string;
}

/** 1001_DFA_ANG_XX.wav: actor, sentence, emotion, level. */
function crema(demo: Map<string, Demographic>): NameParser {
  return (file) => {
    const m = /^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})\.wav$/i.exec(file);
    if (!m) return 'name is not the CREMA-D pattern <actor>_<sentence>_<emotion>_<level>.wav';
    const [, actor, sentence, emo, level] = m;
    const emotion = CREMA_EMOTIONS[emo.toUpperCase()];
    if (!emotion) return `unknown CREMA-D emotion code ${emo}`;
    if (!CREMA_LEVELS[level.toUpperCase()]) return `unknown CREMA-D level ${level}`;
    const d = demo.get(actor) ?? {};
    return {
      speaker: `crema-d-${actor}`,
      ...d,
      emotion,
      originalLabel: emo.toUpperCase(),
      intensity: CREMA_LEVELS[level.toUpperCase()],
      sentence: CREMA_SENTENCES[sentence.toUpperCase()] ?? sentence.toUpperCase(),
    };
  };
}

/** Read VideoDemographics.csv: "ActorID","Age","Sex","Race","Ethnicity". */
export function readCremaDemographics(path: string): Map<string, Demographic> {
  // A byte-order mark (as Excel saves CSV) is not part of the first column's name.
  const rows = readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = splitCsvLine(rows[0]).map((h) => h.toLowerCase());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path}: demographics file has no "${name}" column (columns: ${header.join(', ')})`);
    return i;
  };
  const [iId, iAge, iSex, iRace, iEth] = ['actorid', 'age', 'sex', 'race', 'ethnicity'].map(col);
  const out = new Map<string, Demographic>();
  for (const line of rows.slice(1)) {
    const f = splitCsvLine(line);
    const sex = f[iSex]?.toLowerCase();
    out.set(f[iId], {
      age: Number.isFinite(Number(f[iAge])) ? Number(f[iAge]) : undefined,
      gender: sex === 'female' || sex === 'male' ? sex : undefined,
      race: f[iRace] || undefined,
      ethnicity: f[iEth] || undefined,
    });
  }
  return out;
}

export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') ((cur += '"'), i++);
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (out.push(cur), (cur = ''));
    else cur += ch;
  }
  out.push(cur);
  return out;
}

// ---------------------------------------------------------------- SAVEE
const SAVEE_EMOTIONS: Record<string, Emotion> = {
  a: 'angry',
  d: 'disgust',
  f: 'fearful',
  h: 'happy',
  n: 'neutral',
  sa: 'sad',
  su: 'surprised',
};
const SAVEE_SPEAKERS = ['DC', 'JE', 'JK', 'KL'];

/** Kaggle layout DC_a01.wav, or the original DC/a01.wav. All four speakers are male. */
const parseSavee: NameParser = (file, relPath) => {
  let m = /^([A-Z]{2})_(a|d|f|h|n|sa|su)(\d\d)\.wav$/i.exec(file);
  if (!m) {
    const dir = basename(relPath.slice(0, -file.length - 1));
    const m2 = /^(a|d|f|h|n|sa|su)(\d\d)\.wav$/i.exec(file);
    if (m2) m = [file, dir, m2[1], m2[2]] as unknown as RegExpExecArray;
  }
  if (!m) return 'name is not the SAVEE pattern <speaker>_<a|d|f|h|n|sa|su><nn>.wav';
  const speaker = m[1].toUpperCase();
  if (!SAVEE_SPEAKERS.includes(speaker)) return `unknown SAVEE speaker ${m[1]} (DC, JE, JK, KL)`;
  const code = m[2].toLowerCase();
  return { speaker: `savee-${speaker}`, gender: 'male', emotion: SAVEE_EMOTIONS[code], originalLabel: code, sentence: `${code}${m[3]}` };
};

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
  let parse: NameParser;
  if (corpus === 'ravdess') parse = parseRavdess;
  else if (corpus === 'tess') parse = parseTess;
  else if (corpus === 'savee') parse = parseSavee;
  else {
    const demoPath = opts.demographics ?? walk(dir).files.find((p) => basename(p).toLowerCase() === 'videodemographics.csv');
    parse = crema(demoPath ? readCremaDemographics(demoPath) : new Map());
  }
  const clips: Clip[] = [];
  const { files, problems } = walk(dir);
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
    if (n.startsWith('ravdess')) return 'ravdess';
    if (n.startsWith('tess') || n.startsWith('toronto')) return 'tess';
    if (n.startsWith('crema')) return 'crema-d';
    if (n.startsWith('savee')) return 'savee';
    return undefined;
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
