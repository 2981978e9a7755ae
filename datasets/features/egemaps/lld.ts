/**
 * The 25 low-level descriptors of eGeMAPS v02 (Eyben et al., IEEE Transactions on Affective
 * Computing 7(2), 2016), one value per 10 ms frame, each smoothed by a symmetric 3-frame moving
 * average; the voice descriptors (F0, jitter, shimmer, HNR, harmonic differences, formants) only
 * in voiced frames and smoothed within voiced runs, 0 elsewhere. Written from the paper's
 * definitions; openSMILE's output is the reference they are compared with (tests), not a source.
 */
import { spectra, hamming, frameCount, HOP_SECONDS, binOf, hzOf, type Spectra } from './frames.ts';
import { pitchTrack } from './pitch.ts';
import { voiceMeasures } from './voice.ts';
import { formantTrack } from './formants.ts';

export const LLD_NAMES = [
  'Loudness',
  'alphaRatio',
  'hammarbergIndex',
  'slope0-500',
  'slope500-1500',
  'spectralFlux',
  'mfcc1',
  'mfcc2',
  'mfcc3',
  'mfcc4',
  'F0semitoneFrom27.5Hz',
  'jitterLocal',
  'shimmerLocaldB',
  'HNRdBACF',
  'logRelF0-H1-H2',
  'logRelF0-H1-A3',
  'F1frequency',
  'F1bandwidth',
  'F1amplitudeLogRelF0',
  'F2frequency',
  'F2bandwidth',
  'F2amplitudeLogRelF0',
  'F3frequency',
  'F3bandwidth',
  'F3amplitudeLogRelF0',
] as const;
export type LldName = (typeof LLD_NAMES)[number];

export interface Llds {
  /** Each descriptor's frames (smoothed; voice descriptors 0 where unvoiced). */
  values: Record<LldName, Float64Array>;
  /** Voiced frames (F0 found). */
  voiced: Uint8Array;
  /** Frame energy (mean square of the 25 ms frame), for the equivalent sound level. */
  power: Float64Array;
  frames: number;
}

/** Linear-prediction order of the formant analysis (at 16 kHz: about one pole pair per kHz, plus the glottis and radiation). */
const FORMANT_ORDER = 14;
/** A formant amplitude where there is none to measure (unvoiced frames): a floor, as in openSMILE's output, that its functionals count. */
const AMPLITUDE_FLOOR_DB = -201;

const bark = (f: number) => 6 * Math.asinh(f / 600);

/** A triangular filter: its weights over bins lo … lo + w.length − 1. */
interface Band {
  lo: number;
  w: Float64Array;
}

/** Triangular filters, `bands` of them between lo and hi on a warped scale (Bark or mel), over the bins of s. */
function triangles(s: Pick<Spectra, 'n' | 'sampleRate'>, bands: number, lo: number, hi: number, warp: (f: number) => number): Band[] {
  const wl = warp(lo),
    wh = warp(hi);
  const c = Array.from({ length: bands + 2 }, (_, i) => wl + ((wh - wl) * i) / (bands + 1));
  return Array.from({ length: bands }, (_, b) => {
    const dense = Float64Array.from({ length: s.n / 2 + 1 }, (_, k) => {
      const z = warp(hzOf(s, k));
      return z <= c[b] || z >= c[b + 2] ? 0 : z <= c[b + 1] ? (z - c[b]) / (c[b + 1] - c[b]) : (c[b + 2] - z) / (c[b + 2] - c[b + 1]);
    });
    const first = dense.findIndex((v) => v > 0);
    let last = dense.length - 1;
    while (last > first && !(dense[last] > 0)) last--;
    return first < 0 ? { lo: 0, w: new Float64Array(0) } : { lo: first, w: dense.slice(first, last + 1) };
  });
}

/** Σ_k w_k |X_k|² of a band. */
function bandEnergy(m: Float64Array, b: Band): number {
  let e = 0;
  for (let j = 0; j < b.w.length; j++) e += b.w[j] * m[b.lo + j] * m[b.lo + j];
  return e;
}
const mel = (f: number) => 1127 * Math.log(1 + f / 700);

/** Σ over bins lo..hi (Hz, inclusive) of |X|^p. */
function bandSum(m: Float64Array, s: Spectra, lo: number, hi: number, p: number): number {
  let e = 0;
  for (let k = Math.max(0, binOf(s, lo)); k <= Math.min(m.length - 1, binOf(s, hi)); k++) e += m[k] ** p;
  return e;
}
const bandMax = (m: Float64Array, s: Spectra, lo: number, hi: number) => {
  let e = 0;
  for (let k = Math.max(0, binOf(s, lo)); k <= Math.min(m.length - 1, binOf(s, hi)); k++) e = Math.max(e, m[k]);
  return e;
};
const db = (x: number) => 20 * Math.log10(Math.max(x, 1e-10));

/** Least-squares slope of the spectrum in dB against frequency (Hz) over [lo, hi]. */
function spectralSlope(m: Float64Array, s: Spectra, lo: number, hi: number): number {
  let n = 0,
    sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  for (let k = Math.max(0, binOf(s, lo)); k <= Math.min(m.length - 1, binOf(s, hi)); k++) {
    const x = hzOf(s, k),
      y = db(m[k]);
    n++;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const d = n * sxx - sx * sx;
  return d > 0 ? (n * sxy - sx * sy) / d : 0;
}

/** A symmetric 3-frame moving average, within runs where `keep` holds (others stay 0). */
function sma3(x: Float64Array, keep?: Uint8Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    if (keep && !keep[i]) continue;
    let s = 0,
      n = 0;
    for (let j = i - 1; j <= i + 1; j++) if (j >= 0 && j < x.length && (!keep || keep[j])) ((s += x[j]), n++);
    out[i] = s / n;
  }
  return out;
}

/** The spectral descriptors of one 25 ms frame. */
function spectralFrame(m: Float64Array, prev: Float64Array | null, s: Spectra, bark26: Band[], mel26: Band[]) {
  let loud = 0;
  for (const b of bark26) loud += bandEnergy(m, b) ** 0.33;
  const logMel = mel26.map((b) => Math.log(Math.max(bandEnergy(m, b), 1e-12)));
  const mfcc = [1, 2, 3, 4].map((c) => {
    let v = 0;
    logMel.forEach((l, b) => (v += l * Math.cos((Math.PI * c * (b + 0.5)) / logMel.length)));
    return v * Math.sqrt(2 / logMel.length) * (1 + 11 * Math.sin((Math.PI * c) / 22));
  });
  // The distance between consecutive magnitude spectra (its square correlates less with openSMILE's).
  let flux = 0;
  if (prev) for (let k = 0; k < m.length; k++) flux += (m[k] - prev[k]) ** 2;
  flux = Math.sqrt(flux);
  return {
    loud,
    alpha: 10 * Math.log10(Math.max(bandSum(m, s, 1000, 5000, 2), 1e-20) / Math.max(bandSum(m, s, 50, 1000, 2), 1e-20)),
    hammarberg: db(bandMax(m, s, 0, 2000)) - db(bandMax(m, s, 2000, 5000)),
    slope0: spectralSlope(m, s, 0, 500),
    slope1: spectralSlope(m, s, 500, 1500),
    flux,
    mfcc,
  };
}

/** The amplitude (magnitude) of the spectrum's peak nearest f, within a quarter of F0 of it. */
function harmonicPeak(m: Float64Array, s: Spectra, f: number, f0: number): number {
  const lo = Math.max(1, binOf(s, f - f0 / 4)),
    hi = Math.min(m.length - 1, binOf(s, f + f0 / 4));
  let best = 0;
  for (let k = lo; k <= hi; k++) best = Math.max(best, m[k]);
  return best;
}

export function eGeMapsLlds(y: Float64Array, sr: number): Llds {
  const frames = frameCount(y.length, sr);
  const s25 = spectra(y, sr, 0.025, hamming);
  // (the 60 ms spectra, of the harmonics, after the pitch: only voiced frames need one)
  const bark26 = triangles(s25, 26, 20, 8000, bark);
  const mel26 = triangles(s25, 26, 20, 8000, mel);
  const { f0 } = pitchTrack(y, sr);
  const voiced = Uint8Array.from(f0, (v) => (v > 0 ? 1 : 0));
  const s60 = spectra(y, sr, 0.06, hamming, (t) => voiced[t] === 1);
  const raw = Object.fromEntries(LLD_NAMES.map((n) => [n, new Float64Array(frames)])) as Record<LldName, Float64Array>;
  const power = new Float64Array(frames);
  const hop = Math.round(HOP_SECONDS * sr),
    win25 = Math.round(0.025 * sr),
    win60 = Math.round(0.06 * sr);
  // Formants in every frame (smoothed across voicing changes, read over voiced frames only).
  const formantsAt = formantTrack(y, sr, frames, hop, win25, FORMANT_ORDER);
  formantsAt.forEach((fm, t) =>
    fm.forEach((f, i) => {
      raw[`F${i + 1}frequency` as LldName][t] = f.frequency;
      raw[`F${i + 1}bandwidth` as LldName][t] = f.bandwidth;
    }),
  );
  for (const i of [1, 2, 3]) raw[`F${i}amplitudeLogRelF0` as LldName].fill(AMPLITUDE_FLOOR_DB);
  for (let t = 0; t < frames; t++) {
    const m = s25.mag[t];
    const sp = spectralFrame(m, t ? s25.mag[t - 1] : null, s25, bark26, mel26);
    raw.Loudness[t] = sp.loud;
    raw.alphaRatio[t] = sp.alpha;
    raw.hammarbergIndex[t] = sp.hammarberg;
    raw['slope0-500'][t] = sp.slope0;
    raw['slope500-1500'][t] = sp.slope1;
    raw.spectralFlux[t] = sp.flux;
    sp.mfcc.forEach((v, c) => (raw[`mfcc${c + 1}` as LldName][t] = v));
    let e = 0;
    for (let i = 0; i < win25 && t * hop + i < y.length; i++) e += y[t * hop + i] ** 2;
    power[t] = e / win25;
    if (!voiced[t]) continue;
    const F0 = f0[t];
    raw['F0semitoneFrom27.5Hz'][t] = 12 * Math.log2(F0 / 27.5);
    const start = t * hop + Math.round(0.0125 * sr) - Math.round(win60 / 2);
    const x = new Float64Array(win60);
    for (let i = Math.max(0, -start); i < win60 && start + i < y.length; i++) x[i] = y[start + i];
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    for (let i = 0; i < x.length; i++) x[i] -= mean;
    const v = voiceMeasures(x, F0, sr);
    raw.jitterLocal[t] = v.jitter;
    raw.shimmerLocaldB[t] = v.shimmerDb;
    raw.HNRdBACF[t] = v.hnrDb;
    const m60 = s60.mag[t];
    const h1 = harmonicPeak(m60, s60, F0, F0);
    raw['logRelF0-H1-H2'][t] = db(h1) - db(harmonicPeak(m60, s60, 2 * F0, F0));
    const fm = formantsAt[t];
    fm.forEach((f, i) => {
      // The harmonic nearest the formant, relative to the F0 harmonic.
      raw[`F${i + 1}amplitudeLogRelF0` as LldName][t] = db(harmonicPeak(m60, s60, Math.max(F0, Math.round(f.frequency / F0) * F0), F0)) - db(h1);
    });
    const f3 = fm[2]?.frequency;
    raw['logRelF0-H1-A3'][t] = f3 ? db(h1) - db(harmonicPeak(m60, s60, Math.max(F0, Math.round(f3 / F0) * F0), F0)) : 0;
  }
  const voice = new Set<LldName>(['F0semitoneFrom27.5Hz', 'jitterLocal', 'shimmerLocaldB', 'HNRdBACF', 'logRelF0-H1-H2', 'logRelF0-H1-A3']);
  const values = Object.fromEntries(LLD_NAMES.map((n) => [n, sma3(raw[n], voice.has(n) ? voiced : undefined)])) as Record<LldName, Float64Array>;
  return { values, voiced, power, frames };
}
