/**
 * Split protocols. Every protocol is seeded and returns folds of clip indices; the leakage
 * audit counts what train and test share (speakers, clip ids, and the same audio under another
 * name) so that a speaker-dependent number is never sold as a speaker-independent one.
 */
import { basename } from 'node:path';
import type { Clip, Emotion } from '../datasets/types.ts';
import { harmonizedLabel } from '../datasets/corpora/manifest.ts';
import { Rng } from '../core/random.ts';
import type { Suite } from './suite.ts';
import { predefinedFolds } from './predefined-folds.ts';

export interface Fold {
  name: string;
  train: number[];
  val: number[];
  test: number[];
  /** What was done to make it (clips a committed fold names and the data lacks, a validation set drawn). */
  notes?: string[];
}

type SplitSettings = Suite['split'];

/** Group indices by a key, in first-seen order (deterministic). */
function groupBy(idx: number[], key: (i: number) => string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const i of idx) {
    const k = key(i);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(i);
  }
  return m;
}

/**
 * Stratified random split of `idx` by emotion: each class contributes round(n·fraction) to the
 * held-out part, so per-class counts are within ±1 of the exact proportion.
 */
function stratifiedTake(clips: Clip[], idx: number[], fraction: number, rng: Rng): [rest: number[], taken: number[]] {
  const rest: number[] = [];
  const taken: number[] = [];
  for (const group of groupBy(idx, (i) => clips[i].emotion).values()) {
    const g = rng.shuffle([...group]);
    const k = Math.round(g.length * fraction);
    taken.push(...g.slice(0, k));
    rest.push(...g.slice(k));
  }
  return [rest.sort((a, b) => a - b), taken.sort((a, b) => a - b)];
}

/** Hold out whole speakers: about `fraction` of the clips, speakers drawn per corpus and gender. */
function speakerTake(clips: Clip[], idx: number[], fraction: number, rng: Rng): [rest: number[], taken: number[]] {
  if (fraction <= 0) return [idx, []];
  const bySpeaker = groupBy(idx, (i) => clips[i].speaker);
  const strata = groupBy(
    [...bySpeaker.keys()].map((_, j) => j),
    (j) => {
      const c = clips[[...bySpeaker.values()][j][0]];
      return `${c.corpus}|${c.gender ?? '?'}`;
    },
  );
  const speakers = [...bySpeaker.keys()];
  const heldOut = new Set<string>();
  for (const members of strata.values()) {
    const names = rng.shuffle(members.map((j) => speakers[j]));
    // At least one speaker per stratum when the stratum has two or more; never all of them.
    const k = Math.min(names.length - 1, Math.max(names.length >= 2 ? 1 : 0, Math.round(names.length * fraction)));
    for (const s of names.slice(0, k)) heldOut.add(s);
  }
  if (heldOut.size === 0 && speakers.length >= 2) heldOut.add(rng.pick(speakers));
  const rest = idx.filter((i) => !heldOut.has(clips[i].speaker));
  const taken = idx.filter((i) => heldOut.has(clips[i].speaker));
  return [rest, taken];
}

/** How committed folds' names and labels are read against the data. */
function foldReading(clips: Clip[], split: SplitSettings, labels: Suite['labels']) {
  const stems = new Map<string, number>();
  const twice = new Set<string>();
  clips.forEach((c, i) => {
    const stem = (c.source.kind === 'file' ? basename(c.source.path) : c.id.split('/').pop()!).replace(/\.[^.]+$/, '');
    if (stems.has(stem)) twice.add(stem);
    stems.set(stem, i);
  });
  for (const s of twice) stems.delete(s); // a stem two clips share names neither
  const classOf = (label: string): Emotion | null => {
    const e = harmonizedLabel(label);
    if (!e) return null;
    const mapped = labels.map[e] ?? e;
    return labels.set.includes(mapped) ? mapped : null;
  };
  return { stems, classOf, missing: split.missing ?? 'refuse' } as const;
}

/**
 * Committed folds without validation clips (EmoBox's have none): validation drawn from each fold's
 * training speakers only (val_fraction of them, per corpus and gender, with the split seed), said in the fold's notes.
 */
function withValidation(folds: Fold[], clips: Clip[], split: SplitSettings, rng: Rng): Fold[] {
  return folds.map((f) => {
    if (f.val.length || split.val_fraction <= 0) return f;
    const [train, val] = speakerTake(clips, f.train, split.val_fraction, rng);
    const speakers = new Set(val.map((i) => clips[i].speaker)).size;
    const note = `${f.name}: no validation clips in the fold files; ${val.length} drawn from ${speakers} of its training speakers (val_fraction ${split.val_fraction}, per corpus and gender, split seed)`;
    return { ...f, train, val, notes: [...(f.notes ?? []), note] };
  });
}

export function makeFolds(
  clips: Clip[],
  split: SplitSettings,
  seed: number,
  labels: Suite['labels'] = { set: [...new Set(clips.map((c) => c.emotion))], map: {} },
): Fold[] {
  const rng = new Rng(`split:${seed}`);
  const all = clips.map((_, i) => i);
  const byGroup = (field: 'corpus' | 'speaker') => groupBy(all, (i) => clips[i][field]);
  const trainVal = (name: string, trainPool: number[], test: number[], bySpeaker: boolean): Fold => {
    const frac = split.val_fraction / Math.max(1e-9, 1 - split.test_fraction);
    const [train, val] = bySpeaker ? speakerTake(clips, trainPool, frac, rng) : stratifiedTake(clips, trainPool, frac, rng);
    return { name, train, val, test };
  };
  let folds: Fold[];
  switch (split.protocol) {
    case 'stratified': {
      const [pool, test] = stratifiedTake(clips, all, split.test_fraction, rng);
      folds = [trainVal('random', pool, test, false)];
      break;
    }
    case 'speaker-independent': {
      const [pool, test] = speakerTake(clips, all, split.test_fraction, rng);
      folds = [trainVal('held-out-speakers', pool, test, true)];
      break;
    }
    case 'group-kfold': {
      // scikit-learn GroupKFold: largest speakers first, each to the currently smallest fold.
      const groups = [...byGroup('speaker').entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
      const k = Math.min(split.folds, groups.length);
      const bins: number[][] = Array.from({ length: k }, () => []);
      for (const [, members] of groups) {
        const smallest = bins.reduce((best, b, j) => (b.length < bins[best].length ? j : best), 0);
        bins[smallest].push(...members);
      }
      folds = bins.map((test, j) => {
        const t = new Set(test);
        return trainVal(
          `fold-${j + 1}`,
          all.filter((i) => !t.has(i)),
          test.sort((a, b) => a - b),
          true,
        );
      });
      break;
    }
    case 'predefined':
      folds = withValidation(predefinedFolds(clips, split.fold_files ?? [], seed, foldReading(clips, split, labels)), clips, split, rng);
      break;
    case 'leave-one-corpus-out':
    case 'leave-one-speaker-out': {
      const field = split.protocol === 'leave-one-corpus-out' ? 'corpus' : 'speaker';
      const groups = byGroup(field);
      if (groups.size < 2) throw new Error(`${split.protocol} needs at least two ${field}s, the data has ${groups.size}`);
      folds = [...groups.entries()].map(([name, test]) => {
        const t = new Set(test);
        return trainVal(
          `without-${name}`,
          all.filter((i) => !t.has(i)),
          test,
          true,
        );
      });
      break;
    }
  }
  if (split.max_folds) folds = folds.slice(0, split.max_folds);
  for (const f of folds) {
    if (f.train.length === 0) throw new Error(`split ${split.protocol}, fold ${f.name}: no training clips`);
    if (f.test.length === 0) throw new Error(`split ${split.protocol}, fold ${f.name}: no test clips`);
  }
  return folds;
}

export const SPEAKER_INDEPENDENT: ReadonlySet<string> = new Set(['speaker-independent', 'group-kfold', 'leave-one-speaker-out']);
