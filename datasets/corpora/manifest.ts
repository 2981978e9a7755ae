/**
 * A corpus of your own as a manifest: a CSV or JSONL file with one clip per row — `path`
 * (relative to the manifest), `label`, `speaker`, and optionally `gender`, `age` and any other
 * column (language, condition, dialect, …), which become fairness slices. EmoDB, IEMOCAP, ESD,
 * MSP or a private set run without code. Rows that cannot be used are skipped with the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import type { Clip, Emotion, Gender, LoadResult, SkippedFile } from '../types.ts';
import { EMOTIONS } from '../types.ts';
import { probeWav, WavError } from '../audio/wav.ts';
import { splitCsvLine } from './load.ts';

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
const GENDERS: Record<string, Gender> = { female: 'female', f: 'female', woman: 'female', male: 'male', m: 'male', man: 'male' };
const KNOWN = new Set(['path', 'label', 'speaker', 'gender', 'age', 'id']);

type Row = Record<string, string>;

function readRows(file: string): Row[] {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  if (extname(file).toLowerCase() === '.jsonl')
    return text
      .split(/\r?\n/)
      .filter((l) => l.trim())
      .map((l, i) => {
        try {
          return Object.fromEntries(Object.entries(JSON.parse(l)).map(([k, v]) => [k.toLowerCase(), v === null || v === undefined ? '' : String(v)]));
        } catch (e) {
          throw new Error(`${file}:${i + 1}: not a JSON object (${(e as Error).message})`);
        }
      });
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  if (lines.length === 0) throw new Error(`${file}: empty manifest`);
  const header = splitCsvLine(lines[0]).map((h) => h.trim().toLowerCase());
  return lines.slice(1).map((l) => Object.fromEntries(splitCsvLine(l).map((v, i) => [header[i] ?? `column${i + 1}`, v.trim()])));
}

/** Load a manifest as corpus `name` (default: the manifest's file name). */
export function loadManifest(file: string, name = basename(file, extname(file))): LoadResult {
  if (!existsSync(file)) throw new Error(`${file}: manifest does not exist`);
  const rows = readRows(file);
  const missing = ['path', 'label', 'speaker'].filter((c) => rows.length && !(c in rows[0]));
  if (missing.length) throw new Error(`${file}: the manifest needs the column(s) ${missing.join(', ')} (it has ${Object.keys(rows[0] ?? {}).join(', ')})`);
  const clips: Clip[] = [];
  const skipped: SkippedFile[] = [];
  const ids = new Set<string>();
  rows.forEach((r, i) => {
    const where = `${file}:${i + 2}`;
    const path = resolve(dirname(file), r.path ?? '');
    const emotion = LABELS[(r.label ?? '').toLowerCase()];
    if (!r.path) return skipped.push({ path: where, reason: 'no path' });
    if (!emotion) return skipped.push({ path, reason: `label "${r.label}" is not one of ${EMOTIONS.join(', ')} (or a common spelling of one)` });
    if (!r.speaker) return skipped.push({ path, reason: 'no speaker' });
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
    if (ids.has(id)) return skipped.push({ path, reason: `duplicate clip id ${id} (give the rows an id column)` });
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
