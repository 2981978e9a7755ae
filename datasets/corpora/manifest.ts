/**
 * A corpus of your own as a manifest: a CSV or JSONL file with one clip per row — `path`
 * (relative to the manifest), `label`, `speaker`, and optionally `gender`, `age` and any other
 * column (language, condition, dialect, …), which become fairness slices. EmoDB, IEMOCAP, ESD,
 * MSP or a private set run without code. Rows that cannot be used are skipped with the reason.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import type { Clip, Emotion, Gender, LoadResult, SkippedFile } from '../types.ts';
import { EMOTIONS } from '../types.ts';
import { probeWav, WavError } from '../audio/wav.ts';
import { readUtf8, parseCsv, TextFileError } from '../text-files.ts';

/** Labels as corpora spell them, to the harmonized vocabulary. */
const LABELS: Record<string, Emotion> = {
  ...Object.fromEntries(EMOTIONS.map((e) => [e, e])),
  anger: 'angry',
  ang: 'angry',
  happiness: 'happy',
  hap: 'happy',
  joy: 'happy',
  sadness: 'sad',
  sad: 'sad',
  fear: 'fearful',
  fea: 'fearful',
  dis: 'disgust',
  disgusted: 'disgust',
  surprise: 'surprised',
  sur: 'surprised',
  neu: 'neutral',
  boredom: 'calm',
};
/** A label as corpora and toolkits spell it (Anger, hap, Surprise, fear…) in the harmonized vocabulary, or undefined. */
export const harmonizedLabel = (label: string): Emotion | undefined => LABELS[label.trim().toLowerCase()];

const GENDERS: Record<string, Gender> = { female: 'female', f: 'female', woman: 'female', male: 'male', m: 'male', man: 'male' };
const KNOWN = new Set(['path', 'label', 'speaker', 'gender', 'age', 'id']);

/** A row of the manifest with the line it starts on. */
type Row = { line: number; values: Record<string, string> };

/** Column names people use for the three the manifest needs: a Hugging Face audiofolder's metadata.csv says file_name. */
const ALIASES: Record<string, string> = { file_name: 'path', emotion: 'label', speaker_id: 'speaker' };

function readRows(file: string): Row[] {
  const text = readUtf8(file);
  if (extname(file).toLowerCase() === '.jsonl')
    return text.split(/\r?\n/).flatMap((l, i) => {
      if (!l.trim()) return [];
      let o: unknown;
      try {
        o = JSON.parse(l);
      } catch (e) {
        throw new TextFileError(file, i + 1, `not a JSON object (${(e as Error).message})`);
      }
      if (!o || typeof o !== 'object' || Array.isArray(o)) throw new TextFileError(file, i + 1, 'not a JSON object');
      return [
        { line: i + 1, values: Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v === null || v === undefined ? '' : String(v)])) },
      ];
    });
  const records = parseCsv(text, file);
  if (records.length === 0) throw new TextFileError(file, undefined, 'empty manifest');
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  return records.slice(1).map((r) => {
    if (r.fields.length > header.length)
      throw new TextFileError(file, r.line, `${r.fields.length} fields where the header has ${header.length} (a comma in a field needs quotes)`);
    return { line: r.line, values: Object.fromEntries(r.fields.map((v, i) => [header[i], v.trim()])) };
  });
}

/** The rows with the columns under the names the manifest reads (path, label, speaker), aliases taken where the name itself is absent. */
function withAliases(rows: Row[]): Row[] {
  const has = new Set(Object.keys(rows[0]?.values ?? {}));
  const rename = Object.entries(ALIASES).filter(([from, to]) => has.has(from) && !has.has(to));
  if (!rename.length) return rows;
  return rows.map((r) => ({
    line: r.line,
    values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [rename.find(([f]) => f === k)?.[1] ?? k, v])),
  }));
}

/** The manifest's rows, its encoding, structure and columns checked (what `validate` reads of it); throws TextFileError. */
export function manifestRows(file: string): Row[] {
  if (!existsSync(file)) throw new TextFileError(file, undefined, 'manifest does not exist');
  const rows = withAliases(readRows(file));
  const missing = ['path', 'label', 'speaker'].filter((c) => rows.length && !(c in rows[0].values));
  if (missing.length)
    throw new TextFileError(
      file,
      1,
      `the manifest needs the column(s) ${missing.join(', ')} (it has ${Object.keys(rows[0]?.values ?? {}).join(', ')}; file_name, emotion and speaker_id are read as path, label and speaker)`,
    );
  return rows;
}

/** Load a manifest as corpus `name` (default: the manifest's file name). */
export function loadManifest(file: string, name = basename(file, extname(file))): LoadResult {
  const rows = manifestRows(file);
  const clips: Clip[] = [];
  const skipped: SkippedFile[] = [];
  const ids = new Set<string>();
  rows.forEach(({ line, values: r }) => {
    const where = `${file}:${line}`;
    const path = resolve(dirname(file), r.path ?? '');
    const emotion = LABELS[(r.label ?? '').toLowerCase()];
    if (!r.path) return skipped.push({ path: where, reason: 'no path' });
    if (!emotion) return skipped.push({ path, reason: `line ${line}: label "${r.label}" is not one of ${EMOTIONS.join(', ')} (or a common spelling of one)` });
    if (!r.speaker) return skipped.push({ path, reason: `line ${line}: no speaker` });
    let duration: number;
    try {
      const info = probeWav(path);
      duration = info.frames / info.sampleRate;
    } catch (e) {
      return skipped.push({
        path,
        reason: e instanceof WavError ? e.message.slice(path.length + 2) : `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      });
    }
    const id = `${name}/${r.id || basename(r.path, extname(r.path))}`;
    if (ids.has(id)) return skipped.push({ path, reason: `line ${line}: duplicate clip id ${id} (give the rows an id column)` });
    ids.add(id);
    const gender = r.gender ? GENDERS[r.gender.toLowerCase()] : undefined;
    const age = r.age !== undefined && r.age !== '' && Number.isFinite(Number(r.age)) ? Number(r.age) : undefined;
    const attributes = Object.fromEntries(Object.entries(r).filter(([k, v]) => !KNOWN.has(k) && v !== ''));
    clips.push({
      id,
      source: { kind: 'file', path },
      corpus: name,
      speaker: `${name}-${r.speaker}`,
      gender,
      age,
      emotion,
      originalLabel: r.label,
      duration,
      ...(Object.keys(attributes).length ? { attributes } : {}),
    });
  });
  if (clips.length === 0) skipped.push({ path: file, reason: 'no usable clips in this manifest' });
  return { clips, skipped };
}
