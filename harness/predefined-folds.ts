/**
 * Predefined folds: fold files a run wrote (folds/<seed>_<fold>.json: { seed, fold, train, val,
 * test } of clip ids), or committed partitions as people download them: EmoBox's
 * fold_N/<corpus>_{train,test}_fold_N.jsonl, keyed by `ravdess-03-01-…`, labelled in `emo` through
 * the folder's label_map.json. Every problem is refused naming the file and the field or line: a
 * part that is not a list of ids, a clip the data lacks (unless `missing: drop`, which drops it
 * and counts it), a clip in two parts, a label that is not the data's, two files giving one fold
 * name for the same seed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Clip, Emotion } from '../datasets/types.ts';
import { readUtf8 } from '../datasets/text-files.ts';
import { fileComponent, MAX_NAME_BYTES } from '../core/file-names.ts';

/** One clip a fold names: its key as the file gives it, where, and (committed folds) its label there. */
interface Entry {
  key: string;
  /** The list it is in, where a fold has one per part (EmoBox's), and its line there. */
  file?: string;
  line?: number;
  label?: string;
}

/** A fold as read: its seed (none: it serves every seed), name and parts. */
export interface FoldFile {
  file: string;
  seed?: number;
  fold: string;
  train: Entry[];
  val: Entry[];
  test: Entry[];
  /** Committed folds name clips by their file stem (EmoBox's `wav`), not serbench's ids. */
  byStem: boolean;
}

const PARTS = ['train', 'val', 'test'] as const;

/** A fold's clip indices (splits.ts's Fold), with what was done to read it. */
type Fold = { name: string; train: number[]; val: number[]; test: number[]; notes?: string[] };

/** EmoBox's fold files: fold_<n>/<corpus>_<train|test>_fold_<n>.jsonl. */
const EMOBOX = /(?:^|\/)([^/]+)_(train|test)_fold_(\d+)\.jsonl$/;
export const isEmoBoxFile = (file: string) => EMOBOX.test(file);

/** Read and check one fold file's fields; refuses naming the file and the field. */
export function readFoldFile(file: string): FoldFile {
  let f: Record<string, unknown>;
  try {
    f = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a fold file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]})`);
  }
  const bad = (field: string, what: string) =>
    new Error(`${file}: "${field}" ${what} (a fold file is { "fold": name, "train": [ids], "test": [ids], "val"?: [ids], "seed"?: n })`);
  if (!f || typeof f !== 'object' || Array.isArray(f)) throw new Error(`${file}: a fold file is a JSON object, got ${Array.isArray(f) ? 'a list' : typeof f}`);
  if (typeof f.fold !== 'string' || f.fold === '') throw bad('fold', f.fold === undefined ? 'is missing' : 'must be a non-empty name');
  if (fileComponent(f.fold).length > MAX_NAME_BYTES) throw bad('fold', `is too long to name files (at most ${MAX_NAME_BYTES} bytes)`);
  if (f.seed !== undefined && !(Number.isInteger(f.seed) && (f.seed as number) >= 0))
    throw bad('seed', `must be a whole number ≥ 0, got ${JSON.stringify(f.seed)}`);
  const parts: Record<string, Entry[]> = {};
  for (const p of PARTS) {
    const v = f[p] ?? (p === 'val' ? [] : undefined);
    if (v === undefined) throw bad(p, 'is missing');
    if (!Array.isArray(v)) throw bad(p, `must be a list of clip ids, got ${typeof v}`);
    const notId = v.findIndex((x) => typeof x !== 'string');
    if (notId >= 0) throw bad(p, `must hold clip ids (strings); item ${notId} is ${JSON.stringify(v[notId])}`);
    parts[p] = (v as string[]).map((key) => ({ key }));
  }
  return { file, seed: f.seed as number | undefined, fold: f.fold, train: parts.train, val: parts.val, test: parts.test, byStem: false };
}

/** One EmoBox list (a JSON object a line: key, wav, emo), its labels through label_map.json. */
function readEmoBoxList(file: string): Entry[] {
  const mapFile = join(dirname(dirname(file)), 'label_map.json');
  const labelMap: Record<string, string> = existsSync(mapFile) ? JSON.parse(readUtf8(mapFile)) : {};
  return readUtf8(file)
    .split(/\r?\n/)
    .flatMap((l, i) => {
      if (!l.trim()) return [];
      let o: { key?: unknown; wav?: unknown; emo?: unknown };
      try {
        o = JSON.parse(l);
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not a JSON object (${(e as Error).message})`);
      }
      const source = typeof o.wav === 'string' ? o.wav : typeof o.key === 'string' ? o.key.replace(/^[^-]+-/, '') : undefined;
      if (!source) throw new Error(`${file}:${i + 1}: neither "wav" nor "key" names the clip`);
      const key = basename(source).replace(/\.[^.]+$/, '');
      const emo = typeof o.emo === 'string' ? o.emo : undefined;
      return [{ key, file, line: i + 1, label: emo === undefined ? undefined : (labelMap[emo] ?? emo) }];
    });
}

/** EmoBox's folds: each fold_<n> folder's train and test lists as one fold (no validation: splits.ts draws one). */
function readEmoBoxFolds(files: string[]): FoldFile[] {
  const byFold = new Map<string, { train?: string; test?: string }>();
  for (const f of files) {
    const m = EMOBOX.exec(f)!;
    const entry = byFold.get(m[3]) ?? {};
    entry[m[2] as 'train' | 'test'] = f;
    byFold.set(m[3], entry);
  }
  return [...byFold].map(([n, { train, test }]) => {
    if (!train || !test) throw new Error(`${train ?? test}: fold ${n} has no ${train ? 'test' : 'train'} list beside it`);
    return { file: test, fold: `fold_${n}`, train: readEmoBoxList(train), val: [], test: readEmoBoxList(test), byStem: true };
  });
}

/**
 * Every fold file read and checked, and no fold given twice for one seed (a file without a seed
 * serves every seed): one of the two would silently be dropped. What `validate` checks without the data.
 */
export function checkFoldFiles(files: string[]): FoldFile[] {
  const read = [...files.filter((f) => !isEmoBoxFile(f)).map(readFoldFile), ...readEmoBoxFolds(files.filter(isEmoBoxFile))];
  read.forEach((a, i) =>
    read.slice(i + 1).forEach((b) => {
      if (a.fold === b.fold && (a.seed === undefined || b.seed === undefined || a.seed === b.seed))
        throw new Error(
          `${b.file}: fold "${b.fold}"${b.seed !== undefined ? ` of seed ${b.seed}` : ''} is also given by ${a.file}; each fold name once per seed`,
        );
    }),
  );
  return read;
}

export interface FoldReading {
  /** Every name a clip goes by → its index (clip id; for committed folds also its file stem). */
  index: Map<string, number>;
  /** A committed fold's label as the suite's class (after labels.map), or null: a clip of a class the suite does not have is left out, not missing. */
  classOf: (label: string) => Emotion | null;
  /** refuse: a clip the fold names and the data lacks stops the run; drop: it is left out and counted. */
  missing: 'refuse' | 'drop';
}

/** A fold file's parts as clip indices; refuses a clip the data lacks (or drops it, counted), a clip in two parts, a label not the data's. */
function foldOf(f: FoldFile, clips: Clip[], r: FoldReading): Fold {
  const seen = new Map<string, string>();
  const lacking: Record<string, number> = {};
  let otherClass = 0;
  const part = (p: (typeof PARTS)[number]) =>
    f[p].flatMap((e) => {
      const where = `${e.file ?? f.file}${e.line ? `:${e.line}` : ''}`;
      if (seen.has(e.key)) throw new Error(`${where}: clip ${e.key} is in "${seen.get(e.key)}" and in "${p}"`);
      seen.set(e.key, p);
      const label = e.label === undefined ? undefined : r.classOf(e.label);
      if (e.label !== undefined && label === null) return (otherClass++, []); // a class the suite does not have
      const i = r.index.get(e.key);
      if (i === undefined) {
        if (r.missing === 'drop') return ((lacking[p] = (lacking[p] ?? 0) + 1), []);
        throw new Error(
          `${where}: "${p}" names clip ${e.key}, which is not in the suite's data (is the corpus path right? split.missing: drop leaves such clips out, counted)`,
        );
      }
      if (label && clips[i].emotion !== label)
        throw new Error(`${where}: ${e.key} is labelled ${e.label} (${label}) here, but ${clips[i].emotion} in the data: the fold and the corpus disagree`);
      return [i];
    });
  const fold: Fold = { name: f.fold, train: part('train'), val: part('val'), test: part('test') };
  const notes: string[] = [];
  const dropped = Object.entries(lacking);
  if (dropped.length)
    notes.push(
      `${f.fold}: ${dropped.map(([p, n]) => `${n} of the ${f[p as 'train'].length} ${p} clips`).join(' and ')} the fold names are not in the data (split.missing: drop); left out`,
    );
  if (otherClass) notes.push(`${f.fold}: ${otherClass} clip(s) of classes the suite does not have left out`);
  return notes.length ? { ...fold, notes } : fold;
}

/** The folds of `seed` from fold files (a file without a seed serves every seed). */
export function predefinedFolds(clips: Clip[], files: string[], seed: number, r: Omit<FoldReading, 'index'> & { stems: Map<string, number> }): Fold[] {
  const ids = new Map(clips.map((c, i) => [c.id, i]));
  const read = checkFoldFiles(files);
  const seeds = new Set(read.flatMap((f) => (f.seed === undefined ? [] : [f.seed])));
  const mine = read.filter((f) => f.seed === undefined || f.seed === seed);
  if (mine.length === 0)
    throw new Error(`predefined folds: none for seed ${seed} in ${files.length} file(s) (their seeds: ${[...seeds].join(', ') || 'none'})`);
  return mine.map((f) => foldOf(f, clips, { ...r, index: f.byStem ? r.stems : ids }));
}
