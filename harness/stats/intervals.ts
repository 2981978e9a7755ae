/**
 * Closed-form intervals for proportions, right for small n where a percentile bootstrap
 * collapses (one clip gives [100%, 100%]): Wilson score, Clopper–Pearson (exact, from the beta
 * distribution), and Newcombe's hybrid score interval for a difference of two independent
 * proportions. Definitions as statsmodels 0.13.5 (proportion_confint 'wilson' / 'beta',
 * confint_proportions_2indep 'newcomb'); shared/reference/metrics/intervals.json holds its values.
 */
import { erfc, type Interval } from './significance.ts';

export const PROPORTION_METHODS = ['wilson', 'clopper-pearson'] as const;
export type ProportionMethod = (typeof PROPORTION_METHODS)[number];

/** Standard normal upper quantile z with P(Z > z) = q: Acklam's rational start, then Newton on erfc. */
export function normalUpperQuantile(q: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`normalUpperQuantile: q must lie in (0, 1), got ${q}`);
  const p = 1 - q;
  // Acklam (2003), relative error 1.15e-9, then two Newton steps on Φ̄(z) − q (quadratic convergence).
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  let x: number;
  if (p < lowTail) {
    const t = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) / ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
  } else if (p <= 1 - lowTail) {
    const u = p - 0.5;
    const r = u * u;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const t = Math.sqrt(-2 * Math.log(q));
    x = -(((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) / ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
  }
  for (let i = 0; i < 3; i++) {
    const tail = 0.5 * erfc(x / Math.SQRT2); // P(Z > x)
    const density = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    x += (tail - q) / density;
  }
  return x;
}

/** Wilson score interval for k of n at level 1 − alpha (statsmodels 'wilson'). */
export function wilson(k: number, n: number, alpha: number): [number, number] {
  if (n <= 0) return [0, 1];
  const z = normalUpperQuantile(alpha / 2);
  const z2 = z * z;
  const p = k / n;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** ln Γ(x) for x > 0: Lanczos (g = 7, 9 terms), ~1e-15 relative. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const g = 7;
  const coef = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const y = x - 1;
  let s = coef[0];
  for (let i = 1; i < g + 2; i++) s += coef[i] / (y + i);
  const t = y + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction of the incomplete beta (modified Lentz), valid for x < (a+1)/(a+b+2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = Math.abs(d) < tiny ? tiny : d;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + num / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    h *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + num / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b), the Beta(a, b) distribution function. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** The p-quantile of Beta(a, b), by bisection on the distribution function to double precision. */
export function betaQuantile(p: number, a: number, b: number): number {
  let lo = 0,
    hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-16; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Clopper–Pearson exact interval for k of n (statsmodels 'beta'): 0 at k = 0, 1 at k = n. */
export function clopperPearson(k: number, n: number, alpha: number): [number, number] {
  if (n <= 0) return [0, 1];
  const lo = k <= 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1);
  const hi = k >= n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k);
  return [lo, hi];
}

/**
 * Newcombe's hybrid score interval (method 10) for p1 − p2 of two independent proportions,
 * from the two Wilson intervals (statsmodels confint_proportions_2indep, method 'newcomb').
 */
export function newcombe(k1: number, n1: number, k2: number, n2: number, alpha: number): [number, number] {
  const p1 = k1 / n1,
    p2 = k2 / n2;
  const [l1, u1] = wilson(k1, n1, alpha);
  const [l2, u2] = wilson(k2, n2, alpha);
  const diff = p1 - p2;
  return [diff - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), diff + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)];
}

/**
 * A proportion's interval. `k` may be fractional: with several jobs a clip is predicted several
 * times, and the pooled proportion over its n distinct clips is used (n counts clips, not rows,
 * so repeated predictions of one clip are not counted as independent evidence).
 */
export function proportionInterval(k: number, n: number, confidence: number, method: ProportionMethod): Interval {
  const alpha = 1 - confidence;
  const [lo, hi] = method === 'wilson' ? wilson(k, n, alpha) : clopperPearson(k, n, alpha);
  return { estimate: n > 0 ? k / n : 0, lo, hi, n, method };
}

/** Newcombe's interval of k1/n1 − k2/n2 at `confidence`, as an Interval resting on the smaller group. */
export function differenceInterval(k1: number, n1: number, k2: number, n2: number, confidence: number): Interval {
  const [lo, hi] = newcombe(k1, n1, k2, n2, 1 - confidence);
  return { estimate: k1 / n1 - k2 / n2, lo, hi, n: Math.min(n1, n2), method: 'newcombe' };
}
