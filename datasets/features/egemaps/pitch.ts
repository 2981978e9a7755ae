/**
 * F0, one value per 10 ms frame (0 where unvoiced): YIN's cumulative-mean-normalized difference
 * (de Cheveigné & Kawahara 2002) over 60 ms frames, computed through the frame's autocorrelation,
 * its dips between 55 and 1000 Hz as candidates, and a Viterbi path through them that penalizes
 * octave jumps and voicing flips (the smoothing eGeMAPS applies to its pitch). A frame is voiced
 * when its path state is a candidate, not the unvoiced state.
 */
import { RealFFT } from '../../audio/fft.ts';
import { HOP_SECONDS, frameCount } from './frames.ts';

export const F0_MIN = 55;
export const F0_MAX = 1000;
/** A dip of the normalized difference below this can be a period. */
const DIP_THRESHOLD = 0.45;
/** How far a frame's energy may sit below the recording's loudest frame and still be voiced (dB). */
const ENERGY_FLOOR_DB = 40;

export interface PitchTrack {
  /** F0 in Hz per frame, 0 where unvoiced. */
  f0: Float64Array;
  /** The normalized difference at the chosen period (0 = perfectly periodic), 1 where unvoiced. */
  aperiodicity: Float64Array;
}

interface Candidate {
  f0: number;
  d: number;
}

/** Candidates of one frame: the local minima of the normalized difference below the threshold, refined by a parabola. */
function frameCandidates(x: Float64Array, fft: RealFFT, sr: number, dipThreshold: number): Candidate[] {
  const n = fft.n;
  const w = x.length;
  const buf = new Float64Array(n);
  buf.set(x);
  const re = new Float64Array(n / 2 + 1),
    im = new Float64Array(n / 2 + 1);
  fft.forward(buf, re, im);
  for (let k = 0; k <= n / 2; k++) ((re[k] = re[k] * re[k] + im[k] * im[k]), (im[k] = 0));
  const acf = new Float64Array(n);
  fft.inverse(re, im, acf);
  const tauMax = Math.min(Math.floor(sr / F0_MIN), Math.floor(w / 2));
  const tauMin = Math.max(2, Math.floor(sr / F0_MAX));
  // d(τ) = Σ (x_j − x_{j+τ})² over the frame's first w − τ samples, from the ACF and running energies.
  const cum = new Float64Array(w + 1);
  for (let j = 0; j < w; j++) cum[j + 1] = cum[j] + x[j] * x[j];
  const d = new Float64Array(tauMax + 2);
  for (let tau = 1; tau <= tauMax + 1; tau++) d[tau] = cum[w - tau] + (cum[w] - cum[tau]) - 2 * acf[tau];
  const dn = new Float64Array(tauMax + 2);
  dn[0] = 1;
  let running = 0;
  for (let tau = 1; tau <= tauMax + 1; tau++) {
    running += d[tau];
    dn[tau] = running > 0 ? (d[tau] * tau) / running : 1;
  }
  const out: Candidate[] = [];
  for (let tau = tauMin; tau < tauMax; tau++) {
    if (!(dn[tau] < dipThreshold && dn[tau] <= dn[tau - 1] && dn[tau] < dn[tau + 1])) continue;
    const a = dn[tau - 1],
      b = dn[tau],
      c = dn[tau + 1];
    const denom = a - 2 * b + c;
    const shift = denom > 0 ? (0.5 * (a - c)) / denom : 0;
    out.push({ f0: sr / (tau + shift), d: Math.max(0, b - 0.25 * (a - c) * shift) });
  }
  return out.sort((p, q) => p.d - q.d).slice(0, 4);
}

/** Viterbi through each frame's candidates and an unvoiced state. */
function viterbi(cands: Candidate[][], voicedOk: boolean[], o: PitchOptions): { f0: number; d: number }[] {
  const UNVOICED = { f0: 0, d: 1 };
  const states = cands.map((c, t) => [UNVOICED, ...(voicedOk[t] ? c : [])]);
  // Local cost: aperiodicity for a candidate, a fixed price for the unvoiced state.
  const local = (s: Candidate) => (s.f0 === 0 ? o.unvoicedCost : s.d);
  const trans = (a: Candidate, b: Candidate) => {
    if (a.f0 === 0 && b.f0 === 0) return 0;
    if (a.f0 === 0 || b.f0 === 0) return o.flipCost;
    return o.octaveCost * Math.abs(Math.log2(b.f0 / a.f0));
  };
  let cost = states[0].map(local);
  const back: number[][] = [states[0].map(() => 0)];
  for (let t = 1; t < states.length; t++) {
    const next: number[] = [],
      from: number[] = [];
    for (const s of states[t]) {
      let best = Infinity,
        arg = 0;
      states[t - 1].forEach((p, j) => {
        const c = cost[j] + trans(p, s);
        if (c < best) ((best = c), (arg = j));
      });
      next.push(best + local(s));
      from.push(arg);
    }
    cost = next;
    back.push(from);
  }
  let j = cost.indexOf(Math.min(...cost));
  const path: Candidate[] = new Array(states.length);
  for (let t = states.length - 1; t >= 0; t--) {
    path[t] = states[t][j];
    j = back[t][j];
  }
  return path;
}

/** The tracker's settings (the defaults are the extractor's). */
export interface PitchOptions {
  dipThreshold: number;
  unvoicedCost: number;
  flipCost: number;
  octaveCost: number;
  energyFloorDb: number;
}
export const PITCH_DEFAULTS: PitchOptions = {
  dipThreshold: DIP_THRESHOLD,
  unvoicedCost: 0.45,
  flipCost: 0.25,
  octaveCost: 0.35,
  energyFloorDb: ENERGY_FLOOR_DB,
};

export function pitchTrack(y: Float64Array, sr: number, o: PitchOptions = PITCH_DEFAULTS): PitchTrack {
  const win = Math.round(0.06 * sr);
  const hop = Math.round(HOP_SECONDS * sr);
  let n = 1;
  while (n < 2 * win) n *= 2;
  const fft = new RealFFT(n);
  const count = frameCount(y.length, sr);
  // Each frame (centred where the 25 ms spectral frame of the same index is), its mean removed.
  const frame = (f: number) => {
    const start = f * hop + Math.round(0.0125 * sr) - Math.round(win / 2);
    const x = new Float64Array(win);
    for (let i = Math.max(0, -start); i < win && start + i < y.length; i++) x[i] = y[start + i];
    let mean = 0;
    for (const v of x) mean += v;
    mean /= win;
    for (let i = 0; i < win; i++) x[i] -= mean;
    return x;
  };
  const energy = new Float64Array(count);
  for (let f = 0; f < count; f++) energy[f] = frame(f).reduce((a, v) => a + v * v, 0) / win;
  const top = Math.max(...energy);
  // Frames far below the loudest cannot be voiced: their candidates are not looked for.
  const voicedOk = Array.from(energy, (e) => e > 0 && 10 * Math.log10(e / top) > -o.energyFloorDb);
  const cands = voicedOk.map((ok, f) => (ok ? frameCandidates(frame(f), fft, sr, o.dipThreshold) : []));
  const path = viterbi(cands, voicedOk, o);
  return { f0: Float64Array.from(path, (p) => p.f0), aperiodicity: Float64Array.from(path, (p) => p.d) };
}
