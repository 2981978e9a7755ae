/**
 * Calibration: top-1 ECE/MCE over equal-width bins (lo, hi], adaptive equal-mass ECE,
 * class-wise ECE, mean confidences, and temperature scaling fitted by the root of dNLL/dT.
 * Definitions follow shared/reference/metrics/README.md (Guo et al. 2017, Nixon et al. 2019).
 */
import { argmaxRows } from './metrics.ts';

export interface Bin {
  lo: number;
  hi: number;
  count: number;
  accuracy: number | null;
  confidence: number | null;
  gap: number | null;
}

export interface BinnedError {
  ece: number;
  mce: number;
  bins: Bin[];
}

/** The equal-width bin b with b/M < s ≤ (b+1)/M; 0 goes to bin 0 and 1 to bin M−1. */
export function equalWidthBin(s: number, m: number): number {
  let b = Math.min(m - 1, Math.max(0, Math.floor(m * s)));
  while (b > 0 && s <= b / m) b--;
  while (b < m - 1 && s > (b + 1) / m) b++;
  return b;
}

function summarize(groups: { s: number[]; h: number[]; lo: number; hi: number }[], n: number): BinnedError {
  let ece = 0,
    mce = 0;
  const bins: Bin[] = groups.map(({ s, h, lo, hi }) => {
    if (s.length === 0) return { lo, hi, count: 0, accuracy: null, confidence: null, gap: null };
    const acc = h.reduce((a, b) => a + b, 0) / s.length;
    const conf = s.reduce((a, b) => a + b, 0) / s.length;
    const gap = Math.abs(acc - conf);
    ece += (s.length / n) * gap;
    mce = Math.max(mce, gap);
    return { lo, hi, count: s.length, accuracy: acc, confidence: conf, gap };
  });
  return { ece, mce, bins };
}

export function equalWidthError(scores: ArrayLike<number>, hits: ArrayLike<number>, m = 15): BinnedError {
  const groups = Array.from({ length: m }, (_, b) => ({ s: [] as number[], h: [] as number[], lo: b / m, hi: (b + 1) / m }));
  for (let i = 0; i < scores.length; i++) {
    const g = groups[equalWidthBin(scores[i], m)];
    g.s.push(scores[i]);
    g.h.push(hits[i]);
  }
  return summarize(groups, scores.length);
}

/** Equal-mass bins: stable sort by score, numpy.array_split into m chunks. */
export function equalMassError(scores: ArrayLike<number>, hits: ArrayLike<number>, m = 15): BinnedError & { ranges: [number, number][] } {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  const base = Math.floor(n / m);
  const extra = n % m;
  const groups: { s: number[]; h: number[]; lo: number; hi: number }[] = [];
  const ranges: [number, number][] = [];
  let start = 0;
  for (let b = 0; b < m; b++) {
    const size = base + (b < extra ? 1 : 0);
    const idx = order.slice(start, start + size);
    const s = idx.map((i) => scores[i]);
    groups.push({ s, h: idx.map((i) => hits[i]), lo: s.length ? s[0] : NaN, hi: s.length ? s[s.length - 1] : NaN });
    ranges.push([start, start + size]);
    start += size;
  }
  // An empty equal-mass bin (n < m) has no edges: NaN, written as null in JSON.
  return { ...summarize(groups, n), ranges };
}

export interface Calibration {
  n_bins: number;
  ece: number;
  mce: number;
  bins: Bin[];
  ece_equal_mass: number;
  mce_equal_mass: number;
  classwise_ece: number;
  classwise_ece_per_class: number[];
  mean_confidence: number;
  mean_confidence_correct: number | null;
  mean_confidence_incorrect: number | null;
  n_correct: number;
  n_incorrect: number;
}

export function calibration(y: ArrayLike<number>, probs: ArrayLike<number>, k: number, m = 15): Calibration {
  const n = y.length;
  const yHat = argmaxRows(probs, k);
  const conf = Float64Array.from(yHat, (c, i) => probs[i * k + c]);
  const hit = Float64Array.from(yHat, (c, i) => (c === y[i] ? 1 : 0));
  const top = equalWidthError(conf, hit, m);
  const mass = equalMassError(conf, hit, m);
  const perClass = Array.from({ length: k }, (_, j) => {
    const s = Float64Array.from({ length: n }, (_, i) => probs[i * k + j]);
    const h = Float64Array.from({ length: n }, (_, i) => (y[i] === j ? 1 : 0));
    return equalWidthError(s, h, m).ece;
  });
  const meanOf = (sel: (i: number) => boolean) => {
    let s = 0,
      c = 0;
    for (let i = 0; i < n; i++) if (sel(i)) ((s += conf[i]), c++);
    return c ? s / c : null;
  };
  const nCorrect = hit.reduce((a, b) => a + b, 0);
  return {
    n_bins: m,
    ece: top.ece,
    mce: top.mce,
    bins: top.bins,
    ece_equal_mass: mass.ece,
    mce_equal_mass: mass.mce,
    classwise_ece: perClass.reduce((a, b) => a + b, 0) / k,
    classwise_ece_per_class: perClass,
    mean_confidence: meanOf(() => true) ?? 0,
    mean_confidence_correct: meanOf((i) => hit[i] === 1),
    mean_confidence_incorrect: meanOf((i) => hit[i] === 0),
    n_correct: nCorrect,
    n_incorrect: n - nCorrect,
  };
}

// ---------------------------------------------------------------- temperature scaling
export const T_BOUNDS: [number, number] = [0.05, 20];

/**
 * Temperature scaling works on ln p: a model may say 0 (a tree leaf), so probabilities are
 * floored at 1e-7 before it — far below any confidence a report shows.
 */
export const floorProbabilities = (p: ArrayLike<number>): number[] => Array.from(p, (v) => Math.max(v, 1e-7));

/** softmax(ln p / T) per row. */
export function applyTemperature(probs: ArrayLike<number>, k: number, T: number): Float64Array {
  const n = probs.length / k;
  const out = new Float64Array(probs.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, Math.log(probs[i * k + j]) / T);
    let s = 0;
    for (let j = 0; j < k; j++) s += out[i * k + j] = Math.exp(Math.log(probs[i * k + j]) / T - max);
    for (let j = 0; j < k; j++) out[i * k + j] /= s;
  }
  return out;
}

/** NLL(T) = mean over rows of logsumexp(z/T) − z_y/T with z = ln p. */
export function temperatureNll(y: ArrayLike<number>, probs: ArrayLike<number>, k: number, T: number): number {
  const n = y.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, Math.log(probs[i * k + j]) / T);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(Math.log(probs[i * k + j]) / T - max);
    total += max + Math.log(s) - Math.log(probs[i * k + y[i]]) / T;
  }
  return total / n;
}

/** Σ_i (z_iy − Σ_j q_ij z_ij): the sign of dNLL/dT. */
function nllSlope(y: ArrayLike<number>, probs: ArrayLike<number>, k: number, T: number): number {
  const q = applyTemperature(probs, k, T);
  let g = 0;
  for (let i = 0; i < y.length; i++) {
    let e = 0;
    for (let j = 0; j < k; j++) e += q[i * k + j] * Math.log(probs[i * k + j]);
    g += Math.log(probs[i * k + y[i]]) - e;
  }
  return g;
}

/** T* = argmin NLL over [0.05, 20]: a bound, or the root of dNLL/dT by bisection to machine precision. */
export function fitTemperature(
  y: ArrayLike<number>,
  probs: ArrayLike<number>,
  k: number,
): { temperature: number; found_by: 'lower bound' | 'upper bound' | 'root' } {
  let [lo, hi] = T_BOUNDS;
  if (y.length === 0) return { temperature: 1, found_by: 'root' };
  if (nllSlope(y, probs, k, lo) >= 0) return { temperature: lo, found_by: 'lower bound' };
  if (nllSlope(y, probs, k, hi) <= 0) return { temperature: hi, found_by: 'upper bound' };
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi) break;
    if (nllSlope(y, probs, k, mid) < 0) lo = mid;
    else hi = mid;
  }
  return { temperature: (lo + hi) / 2, found_by: 'root' };
}
