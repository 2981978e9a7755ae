/**
 * Predefined folds: fold files a run wrote (folds/<seed>_<fold>.json: { seed, fold, train, val,
 * test } of clip ids), or committed partitions. Every problem is refused naming the file and the
 * field: a part that is not a list of ids, a clip the data lacks, a clip in two parts, two files
 * giving one fold name for the same seed.
 */
import { readFileSync } from 'node:fs';
import type { Clip } from '../datasets/types.ts';
import { fileComponent, MAX_NAME_BYTES } from '../core/file-names.ts';

/** A fold file as read: its seed (none: it serves every seed), name and parts as clip ids. */
export interface FoldFile {
  file: string;
  seed?: number;
  fold: string;
  train: string[];
  val: string[];
  test: string[];
}

const PARTS = ['train', 'val', 'test'] as const;

/** A fold's clip indices (splits.ts's Fold). */
type Fold = { name: string; train: number[]; val: number[]; test: number[] };

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
  const parts: Record<string, string[]> = {};
  for (const p of PARTS) {
    const v = f[p] ?? (p === 'val' ? [] : undefined);
    if (v === undefined) throw bad(p, 'is missing');
    if (!Array.isArray(v)) throw bad(p, `must be a list of clip ids, got ${typeof v}`);
    const notId = v.findIndex((x) => typeof x !== 'string');
    if (notId >= 0) throw bad(p, `must hold clip ids (strings); item ${notId} is ${JSON.stringify(v[notId])}`);
    parts[p] = v as string[];
  }
  return { file, seed: f.seed as number | undefined, fold: f.fold, train: parts.train, val: parts.val, test: parts.test };
}

/** A fold file's parts as clip indices; refuses a clip the data does not hold, or one in two parts. */
function foldOf(f: FoldFile, index: Map<string, number>): Fold {
  const seen = new Map<string, string>();
  const part = (p: (typeof PARTS)[number]) =>
    f[p].map((id) => {
      if (seen.has(id)) throw new Error(`${f.file}: clip ${id} is in "${seen.get(id)}" and in "${p}"`);
      seen.set(id, p);
      const i = index.get(id);
      if (i === undefined) throw new Error(`${f.file}: "${p}" names clip ${id}, which is not in the suite's data (is the corpus path right?)`);
      return i;
    });
  return { name: f.fold, train: part('train'), val: part('val'), test: part('test') };
}

/**
 * Every fold file read and checked, and no fold given twice for one seed (a file without a seed
 * serves every seed): one of the two would silently be dropped. What `validate` checks without the data.
 */
export function checkFoldFiles(files: string[]): FoldFile[] {
  const read = files.map(readFoldFile);
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

/**
 * The folds of `seed` from fold files (a file without a seed serves every seed).
 */
export function predefinedFolds(clips: Clip[], files: string[], seed: number): Fold[] {
  const index = new Map(clips.map((c, i) => [c.id, i]));
  const read = checkFoldFiles(files);
  const seeds = new Set(read.flatMap((f) => (f.seed === undefined ? [] : [f.seed])));
  const mine = read.filter((f) => f.seed === undefined || f.seed === seed);
  if (mine.length === 0)
    throw new Error(`predefined folds: none for seed ${seed} in ${files.length} file(s) (their seeds: ${[...seeds].join(', ') || 'none'})`);
  return mine.map((f) => foldOf(f, index));
}
