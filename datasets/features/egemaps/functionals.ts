/**
 * eGeMAPS v02's 88 functionals of its descriptors, with openSMILE's names and in its order, so
 * that tables line up with the literature: means and coefficients of variation of every
 * descriptor (the voice ones over voiced frames; the spectral balance ones also over voiced and
 * over unvoiced frames apart), percentiles, ranges and rising / falling slopes of pitch and
 * loudness, and the temporal ones (loudness peaks, voiced and unvoiced segments, the equivalent
 * sound level).
 */
import { HOP_SECONDS } from './frames.ts';
import type { Llds, LldName } from './lld.ts';

const mean = (x: number[]) => (x.length ? x.reduce((a, b) => a + b, 0) / x.length : 0);
const sd = (x: number[]) => {
  const m = mean(x);
  return x.length ? Math.sqrt(x.reduce((a, v) => a + (v - m) ** 2, 0) / x.length) : 0;
};
/** The coefficient of variation, sd / mean, signed as the mean is (0 where the mean is 0). */
const cv = (x: number[]) => (mean(x) !== 0 ? sd(x) / mean(x) : 0);
/** The p-th percentile, linearly interpolated between order statistics. */
function percentile(x: number[], p: number): number {
  if (!x.length) return 0;
  const s = [...x].sort((a, b) => a - b);
  const at = (p / 100) * (s.length - 1);
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(s.length - 1, lo + 1)] - s[lo]) * (at - lo);
}

/**
 * The contour's significant turning points: a maximum (minimum) is kept once the contour has
 * fallen (risen) from it by more than `threshold`, so ripples smaller than that are passed over.
 */
function turningPoints(x: number[], threshold: number): { i: number; v: number; max: boolean }[] {
  const out: { i: number; v: number; max: boolean }[] = [];
  if (!x.length) return out;
  let lo = { i: 0, v: x[0] },
    hi = { i: 0, v: x[0] },
    dir = 0; // 1: climbing towards a maximum, -1: descending towards a minimum
  for (let i = 1; i < x.length; i++) {
    const v = x[i];
    if (dir >= 0 && v > hi.v) hi = { i, v };
    if (dir <= 0 && v < lo.v) lo = { i, v };
    if (dir === 0 && hi.v - lo.v > threshold) {
      out.push(hi.i > lo.i ? { ...lo, max: false } : { ...hi, max: true });
      dir = hi.i > lo.i ? 1 : -1;
      if (dir === 1) lo = { i, v };
      else hi = { i, v };
    } else if (dir === 1 && hi.v - v > threshold) {
      out.push({ ...hi, max: true });
      ((dir = -1), (lo = { i, v }));
    } else if (dir === -1 && v - lo.v > threshold) {
      out.push({ ...lo, max: false });
      ((dir = 1), (hi = { i, v }));
    }
  }
  if (dir === 1) out.push({ ...hi, max: true });
  else if (dir === -1) out.push({ ...lo, max: false });
  return out;
}

/** Turning points of a contour at a tenth of its range: the scale at which its rises and falls are read. */
const turns = (x: number[]) => turningPoints(x, 0.1 * (x.length ? Math.max(...x) - Math.min(...x) : 0));

/** Slopes (per second) from each turning point to the next: rising ones, and falling ones as magnitudes. */
function slopes(x: number[]): { rising: number[]; falling: number[] } {
  const t = turns(x);
  const rising: number[] = [],
    falling: number[] = [];
  for (let k = 1; k < t.length; k++) {
    const s = (t[k].v - t[k - 1].v) / ((t[k].i - t[k - 1].i) * HOP_SECONDS);
    if (s > 0) rising.push(s);
    else if (s < 0) falling.push(-s);
  }
  return { rising, falling };
}

/** Runs of consecutive frames where `keep` holds, as index lists. */
function runs(keep: Uint8Array, want = 1): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  keep.forEach((v, i) => {
    if (v === want) cur.push(i);
    else if (cur.length) (out.push(cur), (cur = []));
  });
  if (cur.length) out.push(cur);
  return out;
}

/** The 88 names, in openSMILE's order. */
export const FUNCTIONAL_NAMES: string[] = [];

type Functional = (l: Llds) => number;
const table: [string, Functional][] = [];
const add = (name: string, f: Functional) => (FUNCTIONAL_NAMES.push(name), table.push([name, f]));

const values = (l: Llds, n: LldName, frames?: Uint8Array, want = 1) => Array.from(l.values[n]).filter((_, i) => !frames || frames[i] === want);
const voicedValues = (l: Llds, n: LldName) => values(l, n, l.voiced);
/** The frames where a descriptor is not 0, openSMILE's `nz` (formant amplitudes: every frame, the unvoiced ones at their floor). */
const nonZero = (l: Llds, n: LldName) => Array.from(l.values[n]).filter((v) => v !== 0);

/** The 10 functionals of pitch and loudness: mean, cv, percentiles 20/50/80, their range, rising and falling slopes. */
function contour(prefix: string, get: (l: Llds) => number[]) {
  add(`${prefix}_amean`, (l) => mean(get(l)));
  add(`${prefix}_stddevNorm`, (l) => cv(get(l)));
  for (const p of [20, 50, 80]) add(`${prefix}_percentile${p}.0`, (l) => percentile(get(l), p));
  add(`${prefix}_pctlrange0-2`, (l) => percentile(get(l), 80) - percentile(get(l), 20));
  add(`${prefix}_meanRisingSlope`, (l) => mean(slopes(get(l)).rising));
  add(`${prefix}_stddevRisingSlope`, (l) => sd(slopes(get(l)).rising));
  add(`${prefix}_meanFallingSlope`, (l) => mean(slopes(get(l)).falling));
  add(`${prefix}_stddevFallingSlope`, (l) => sd(slopes(get(l)).falling));
}

const meanCv = (name: string, lld: LldName, pick: (l: Llds, n: LldName) => number[]) => {
  add(`${name}_amean`, (l) => mean(pick(l, lld)));
  add(`${name}_stddevNorm`, (l) => cv(pick(l, lld)));
};

// Pitch is read over its voiced frames joined end to end (the unvoiced ones left out, not zeros).
contour('F0semitoneFrom27.5Hz_sma3nz', (l) => voicedValues(l, 'F0semitoneFrom27.5Hz'));
contour('loudness_sma3', (l) => values(l, 'Loudness'));
meanCv('spectralFlux_sma3', 'spectralFlux', (l, n) => values(l, n));
for (const c of [1, 2, 3, 4]) meanCv(`mfcc${c}_sma3`, `mfcc${c}` as LldName, (l, n) => values(l, n));
meanCv('jitterLocal_sma3nz', 'jitterLocal', nonZero);
meanCv('shimmerLocaldB_sma3nz', 'shimmerLocaldB', nonZero);
meanCv('HNRdBACF_sma3nz', 'HNRdBACF', nonZero);
meanCv('logRelF0-H1-H2_sma3nz', 'logRelF0-H1-H2', nonZero);
meanCv('logRelF0-H1-A3_sma3nz', 'logRelF0-H1-A3', nonZero);
for (const f of [1, 2, 3]) {
  meanCv(`F${f}frequency_sma3nz`, `F${f}frequency` as LldName, voicedValues);
  meanCv(`F${f}bandwidth_sma3nz`, `F${f}bandwidth` as LldName, voicedValues);
  meanCv(`F${f}amplitudeLogRelF0_sma3nz`, `F${f}amplitudeLogRelF0` as LldName, nonZero);
}
const spectralV: [string, LldName][] = [
  ['alphaRatioV', 'alphaRatio'],
  ['hammarbergIndexV', 'hammarbergIndex'],
  ['slopeV0-500', 'slope0-500'],
  ['slopeV500-1500', 'slope500-1500'],
  ['spectralFluxV', 'spectralFlux'],
  ['mfcc1V', 'mfcc1'],
  ['mfcc2V', 'mfcc2'],
  ['mfcc3V', 'mfcc3'],
  ['mfcc4V', 'mfcc4'],
];
for (const [name, lld] of spectralV) meanCv(`${name}_sma3nz`, lld, (l, n) => values(l, n, l.voiced, 1));
for (const [name, lld] of spectralV.slice(0, 5)) add(`${name.replace('V', 'UV')}_sma3nz_amean`, (l) => mean(values(l, lld, l.voiced, 0)));

/** Loudness peaks: the contour's significant maxima (as for its slopes), per second of the recording. */
add('loudnessPeaksPerSec', (l) => turns(values(l, 'Loudness')).filter((t) => t.max).length / (l.frames * HOP_SECONDS));
add('VoicedSegmentsPerSec', (l) => runs(l.voiced).length / (l.frames * HOP_SECONDS));
add('MeanVoicedSegmentLengthSec', (l) => mean(runs(l.voiced).map((r) => r.length * HOP_SECONDS)));
add('StddevVoicedSegmentLengthSec', (l) => sd(runs(l.voiced).map((r) => r.length * HOP_SECONDS)));
add('MeanUnvoicedSegmentLength', (l) => mean(runs(l.voiced, 0).map((r) => r.length * HOP_SECONDS)));
add('StddevUnvoicedSegmentLength', (l) => sd(runs(l.voiced, 0).map((r) => r.length * HOP_SECONDS)));
/** The equivalent sound level: the mean of the frames' power, in dB. */
add('equivalentSoundLevel_dBp', (l) => 10 * Math.log10(Math.max(mean(Array.from(l.power)), 1e-12)));

/** The 88 functionals of a recording's descriptors, in FUNCTIONAL_NAMES's order. */
export function functionals(l: Llds): Float64Array {
  return Float64Array.from(table, ([, f]) => f(l));
}
