/**
 * Per-clip predictions as the statistics read them: one row per test clip and job, flattened
 * into typed arrays, and the clip-level resampling every interval rests on (a clip predicted by
 * several jobs is one piece of evidence, not several).
 */
import type { Clip } from '../../datasets/types.ts';
import { argmaxRows } from './metrics.ts';
import { bootstrap, type Interval } from './significance.ts';

/** One test clip's prediction by one model in one job (seed × fold). */
export interface PredictionRow {
  clip: Clip;
  /** Split seed. */
  seed: number;
  /** Model seed (initialisation and batch order); the split seed unless the suite sets model_seeds. */
  modelSeed: number;
  fold: string;
  y: number;
  probs: number[];
  /** After the job's temperature (fitted on its validation split). */
  calibrated: number[];
}

/** Prediction rows as typed arrays. */
export interface Flat {
  n: number;
  k: number;
  y: Int32Array;
  probs: Float64Array;
  yHat: Int32Array;
  conf: Float64Array;
  /** Each row's clip as a number (rows of one clip in several jobs share it). */
  clip: Int32Array;
}

export function flatten(rows: PredictionRow[], k: number, calibrated = false): Flat {
  const n = rows.length;
  const probs = new Float64Array(n * k);
  rows.forEach((r, i) => probs.set(calibrated ? r.calibrated : r.probs, i * k));
  const yHat = argmaxRows(probs, k);
  const ids = new Map<string, number>();
  const clip = Int32Array.from(rows, (r) => ids.get(r.clip.id) ?? (ids.set(r.clip.id, ids.size), ids.size - 1));
  return { n, k, y: Int32Array.from(rows, (r) => r.y), probs, yHat, conf: Float64Array.from(yHat, (c, i) => probs[i * k + c]), clip };
}

/** Every row index of f. */
export const allRows = (f: Flat) => Int32Array.from({ length: f.n }, (_, i) => i);

/** The rows of each clip among `members` (one entry per clip; several rows when several jobs predicted it). */
export function clusters(f: Flat, members: ArrayLike<number>): number[][] {
  const m = new Map<number, number[]>();
  for (let j = 0; j < members.length; j++) {
    const i = members[j];
    const list = m.get(f.clip[i]);
    if (list) list.push(i);
    else m.set(f.clip[i], [i]);
  }
  return [...m.values()];
}

/** The rows of the picked clusters, in one index array. */
export const expand = (cl: number[][], picked: Int32Array): Int32Array => {
  const out: number[] = [];
  for (const c of picked) for (const i of cl[c]) out.push(i);
  return Int32Array.from(out);
};

/**
 * A proportion over clips: each clip counts once, with the share of its rows that hit (a clip
 * predicted by several jobs is one piece of evidence, not several). k may be fractional.
 */
export function clipProportion(f: Flat, members: ArrayLike<number>, hit: (i: number) => boolean): { k: number; n: number } {
  let k = 0;
  const cl = clusters(f, members);
  for (const rows of cl) k += rows.filter(hit).length / rows.length;
  return { k, n: cl.length };
}

export interface Resampling {
  bootstrap: number;
  confidence: number;
}

/**
 * Bootstrap that resamples clips, not rows: with several seeds a clip is predicted several
 * times, and resampling rows would treat those as independent evidence.
 */
export function clusterBootstrap(
  f: Flat,
  members: ArrayLike<number>,
  stat: (idx: Int32Array) => number,
  o: Resampling,
  seed: string,
  reflected?: readonly [number, number],
): Interval {
  const cl = clusters(f, members);
  return bootstrap(cl.length, (ci) => stat(expand(cl, ci)), o.bootstrap, o.confidence, seed, reflected);
}
