/**
 * Rational-ratio polyphase resampling, the design of scipy.signal.resample_poly: a Kaiser
 * (β = 5) windowed-sinc low-pass FIR of 2·10·max(up, down) + 1 taps at the lower Nyquist,
 * applied at the output rate only (each output sample needs ~20 taps), with the filter's delay
 * removed. Output length ceil(n · up / down).
 *
 * Why not libsamplerate (the package first used): its SINC_MEDIUM converter took 33 ms per
 * 3.5-s clip from 48 to 16 kHz here, 80% of the whole feature pipeline; this takes ~3 ms and
 * matches scipy's resample_poly to float precision (tests/resample.test.ts).
 */

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1,
    term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

const filters = new Map<string, Float64Array>();

/** scipy.signal.firwin(2·half + 1, 1/maxRate, window=('kaiser', 5.0)) · up. */
function designFilter(up: number, down: number): Float64Array {
  const key = `${up}/${down}`;
  let h = filters.get(key);
  if (h) return h;
  const maxRate = Math.max(up, down);
  const half = 10 * maxRate;
  const n = 2 * half + 1;
  const fc = 1 / maxRate;
  const beta = 5;
  const i0b = besselI0(beta);
  h = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const m = k - half;
    const x = Math.PI * fc * m;
    const sinc = m === 0 ? 1 : Math.sin(x) / x;
    const r = (2 * k) / (n - 1) - 1;
    const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
    h[k] = fc * sinc * w;
    sum += h[k];
  }
  for (let k = 0; k < n; k++) h[k] *= up / sum; // unit DC gain, times the zero-stuffing factor
  if (filters.size > 16) filters.clear();
  filters.set(key, h);
  return h;
}

/** The filter split into its `up` phases: phase p holds h[p], h[p + up], h[p + 2·up], … */
const phaseCache = new WeakMap<Float64Array, Float64Array[]>();
function polyphase(h: Float64Array, up: number): Float64Array[] {
  let phases = phaseCache.get(h);
  if (!phases) {
    phases = Array.from({ length: up }, (_, p) => Float64Array.from({ length: Math.ceil((h.length - p) / up) }, (_, j) => h[p + j * up]));
    phaseCache.set(h, phases);
  }
  return phases;
}

/** Resample x from `from` Hz to `to` Hz (integer rates). */
export function resamplePoly(x: ArrayLike<number>, from: number, to: number): Float32Array {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from <= 0 || to <= 0)
    throw new Error(`resample: rates must be positive integers, got ${from} → ${to}`);
  const g = gcd(from, to);
  const up = to / g,
    down = from / g;
  const nIn = x.length;
  const nOut = Math.ceil((nIn * up) / down);
  const out = new Float32Array(nOut);
  if (up === 1 && down === 1) {
    for (let i = 0; i < nIn; i++) out[i] = x[i];
    return out;
  }
  const h = designFilter(up, down);
  const half = (h.length - 1) / 2;
  const phases = polyphase(h, up);
  // One monomorphic typed array for the inner loop, whatever the caller passed.
  const xs = x instanceof Float64Array ? x : Float64Array.from(x);
  for (let n = 0; n < nOut; n++) {
    // out[n] = Σ_i h[half + n·down − i·up] · x[i]; with iMax = ⌊c/up⌋ and phase p = c − iMax·up
    // that is Σ_j hp[p][j] · x[iMax − j], hp[p] = h[p], h[p + up], … (contiguous).
    const c = n * down + half;
    const iMax = Math.floor(c / up);
    const hp = phases[c - iMax * up];
    const jLo = Math.max(0, iMax - (nIn - 1));
    const jHi = Math.min(hp.length - 1, iMax);
    // Four partial sums: one long chain of dependent additions is latency-bound.
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    let j = jLo;
    for (; j + 3 <= jHi; j += 4) {
      const i = iMax - j;
      s0 += hp[j] * xs[i];
      s1 += hp[j + 1] * xs[i - 1];
      s2 += hp[j + 2] * xs[i - 2];
      s3 += hp[j + 3] * xs[i - 3];
    }
    for (; j <= jHi; j++) s0 += hp[j] * xs[iMax - j];
    out[n] = s0 + s1 + s2 + s3;
  }
  return out;
}
