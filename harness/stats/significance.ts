/** Significance and uncertainty: McNemar's test, bootstrap intervals (one and two samples), erfc. */
import { Rng } from '../../core/random.ts';

/**
 * Complementary error function to ~1e-15 relative: Taylor series of erf below 2, Lentz's
 * continued fraction above (JavaScript has no erfc).
 */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    let term = x,
      sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated with modified Lentz.
  const tiny = 1e-300;
  let f = x,
    C = x,
    D = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    D = x + a * D;
    D = Math.abs(D) < tiny ? tiny : D;
    C = x + a / C;
    C = Math.abs(C) < tiny ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export interface McNemar {
  table: [[number, number], [number, number]];
  b: number;
  c: number;
  exact_statistic: number;
  exact_pvalue: number;
  chi2_cc_statistic: number | null;
  chi2_cc_pvalue: number;
  chi2_statistic: number | null;
  chi2_pvalue: number;
  note?: string;
}

/** Two-sided exact binomial p for min(b,c) successes in b+c trials at ½ (statsmodels mcnemar exact). */
function exactPValue(b: number, c: number): number {
  const n = b + c;
  const k = Math.min(b, c);
  // log C(n, i) accumulated term by term; sum scaled by the largest term.
  const logs: number[] = [];
  let lc = 0;
  for (let i = 0; i <= k; i++) {
    logs.push(lc - n * Math.LN2);
    lc += Math.log(n - i) - Math.log(i + 1);
  }
  const max = Math.max(...logs);
  const s = logs.reduce((a, l) => a + Math.exp(l - max), 0);
  return Math.min(1, 2 * Math.exp(max + Math.log(s)));
}

/** McNemar on paired correctness of two models over the same clips. */
export function mcnemar(correctA: ArrayLike<boolean | number>, correctB: ArrayLike<boolean | number>): McNemar {
  let a = 0,
    b = 0,
    c = 0,
    d = 0;
  for (let i = 0; i < correctA.length; i++) {
    const ca = !!correctA[i],
      cb = !!correctB[i];
    if (ca && cb) a++;
    else if (ca) b++;
    else if (cb) c++;
    else d++;
  }
  const table: [[number, number], [number, number]] = [
    [a, b],
    [c, d],
  ];
  if (b + c === 0) {
    return {
      table,
      b,
      c,
      exact_statistic: 0,
      exact_pvalue: 1,
      chi2_cc_statistic: null,
      chi2_cc_pvalue: 1,
      chi2_statistic: null,
      chi2_pvalue: 1,
      note: 'no discordant pairs',
    };
  }
  const cc = (Math.abs(b - c) - 1) ** 2 / (b + c);
  const plain = (b - c) ** 2 / (b + c);
  return {
    table,
    b,
    c,
    exact_statistic: Math.min(b, c),
    exact_pvalue: exactPValue(b, c),
    chi2_cc_statistic: cc,
    chi2_cc_pvalue: erfc(Math.sqrt(cc / 2)),
    chi2_statistic: plain,
    chi2_pvalue: erfc(Math.sqrt(plain / 2)),
  };
}

export type IntervalMethod = 'bootstrap' | 'basic-bootstrap' | 'wilson' | 'clopper-pearson' | 'newcombe';

/** An estimate with its interval and what it rests on. */
export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  /** Clips the interval rests on (distinct clips, not prediction rows). */
  n: number;
  method: IntervalMethod;
  /** Bootstrap only: resamples used; 0 means no interval was formed (fewer than MIN_BOOTSTRAP_CLIPS clips, or bootstrap: 0), and lo and hi are NaN (null in results.json). */
  resamples?: number;
}

/**
 * A percentile bootstrap of fewer clips than this is not an interval worth showing (a one-clip
 * group resamples to itself: [100%, 100%]); such an estimate is given without one.
 */
export const MIN_BOOTSTRAP_CLIPS = 10;

/**
 * Bootstrap over n units (clips): `stat` gets the resampled indices. The percentile interval, or
 * with `reflected` the basic bootstrap (Davison & Hinkley 1997, §5.2): the percentiles reflected
 * about the estimate, [2θ̂ − q_hi, 2θ̂ − q_lo], kept within the statistic's bounds. The latter is
 * for a statistic whose plug-in value is biased on a finite sample, as ECE is upward: resamples
 * add that bias again, so a percentile interval of a well-calibrated model's ECE lies wholly above
 * 0 and would claim a miscalibration that is not there.
 */
export function bootstrap(
  n: number,
  stat: (idx: Int32Array) => number,
  resamples: number,
  confidence: number,
  seed: string,
  reflected?: readonly [number, number],
): Interval {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const estimate = stat(all);
  const method = reflected ? 'basic-bootstrap' : 'bootstrap';
  if (n < MIN_BOOTSTRAP_CLIPS || resamples === 0) return { estimate, lo: NaN, hi: NaN, n, method, resamples: 0 };
  const rng = new Rng(seed);
  const values = new Float64Array(resamples);
  const idx = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    values[r] = stat(idx);
  }
  const q = percentiles(values, confidence);
  if (!reflected) return { estimate, ...q, n, method, resamples };
  const within = (x: number) => Math.min(reflected[1], Math.max(reflected[0], x));
  return { estimate, lo: within(2 * estimate - q.hi), hi: within(2 * estimate - q.lo), n, method, resamples };
}

/**
 * Percentile bootstrap of a statistic of two independent samples (two groups' clips, each
 * resampled within itself): the interval of a gap between groups. n is the smaller group.
 */
export function twoSampleBootstrap(
  nA: number,
  nB: number,
  stat: (a: Int32Array, b: Int32Array) => number,
  resamples: number,
  confidence: number,
  seed: string,
): Interval {
  const estimate = stat(
    Int32Array.from({ length: nA }, (_, i) => i),
    Int32Array.from({ length: nB }, (_, i) => i),
  );
  const n = Math.min(nA, nB);
  if (n < MIN_BOOTSTRAP_CLIPS || resamples === 0) return { estimate, lo: NaN, hi: NaN, n, method: 'bootstrap', resamples: 0 };
  const rng = new Rng(seed);
  const values = new Float64Array(resamples);
  const a = new Int32Array(nA),
    b = new Int32Array(nB);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < nA; i++) a[i] = rng.int(nA);
    for (let i = 0; i < nB; i++) b[i] = rng.int(nB);
    values[r] = stat(a, b);
  }
  return { estimate, ...percentiles(values, confidence), n, method: 'bootstrap', resamples };
}

function percentiles(values: Float64Array, confidence: number): { lo: number; hi: number } {
  values.sort();
  const m = values.length;
  const q = (p: number) => values[Math.min(m - 1, Math.max(0, Math.floor(p * m)))];
  const alpha = (1 - confidence) / 2;
  return { lo: q(alpha), hi: q(1 - alpha) };
}

export function meanSd(values: number[]): { mean: number; sd: number; n: number } {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : 0;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}
