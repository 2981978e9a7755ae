/**
 * librosa-compatible spectral features (librosa 0.10.2 defaults unless a parameter says
 * otherwise). Matrices are frame-major: `m[t][k]` is feature k of frame t, stored as one
 * Float64Array of frames × bins.
 */
import { RealFFT } from './fft.ts';
import { gcd } from './resample.ts';
import { bandProductsWasm, istftWasm, phaseVocoderWasm, powerToDbWasm, stftBandsWasm, stftWasm, type StftTables } from '../../core/wasm.ts';

/** A frames × bins matrix, row-major (one row per frame). */
export interface Matrix {
  frames: number;
  bins: number;
  data: Float64Array;
}

export const matrix = (frames: number, bins: number): Matrix => ({ frames, bins, data: new Float64Array(frames * bins) });
export const at = (m: Matrix, t: number, k: number) => m.data[t * m.bins + k];

/** Periodic Hann window (scipy get_window('hann', n, fftbins=True)). */
export function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/** The FFT tables of one size (with its periodic Hann window), built once: every kernel reads them. */
const tablesCache = new Map<number, StftTables>();
function fftTables(n: number): StftTables {
  let t = tablesCache.get(n);
  if (!t) {
    const fft = new RealFFT(n);
    tablesCache.set(n, (t = { window: hann(n), rev: fft.rev, cos: fft.cos, sin: fft.sin, splitCos: fft.splitCos, splitSin: fft.splitSin }));
  }
  return t;
}

export interface StftResult {
  re: Matrix;
  im: Matrix;
}

/** Centred STFT with constant (zero) padding: n_frames = 1 + floor(len / hop). */
export function stft(y: ArrayLike<number>, nFft: number, hop: number): StftResult {
  const bins = nFft / 2 + 1;
  const { frames, re, im } = stftWasm(y, nFft, hop, fftTables(nFft));
  return { re: { frames, bins, data: re }, im: { frames, bins, data: im } };
}

/** |STFT|^power. */
export function spectrogram(y: ArrayLike<number>, nFft: number, hop: number, power = 2): Matrix {
  return spectrumPower(stft(y, nFft, hop), power);
}

/** |S|^power of a computed STFT (several features can share one transform). */
export function spectrumPower({ re, im }: StftResult, power = 2): Matrix {
  const out = matrix(re.frames, re.bins);
  const [r, i, o] = [re.data, im.data, out.data];
  if (power === 2) for (let j = 0; j < o.length; j++) o[j] = r[j] * r[j] + i[j] * i[j];
  else if (power === 1) for (let j = 0; j < o.length; j++) o[j] = Math.sqrt(r[j] * r[j] + i[j] * i[j]);
  else for (let j = 0; j < o.length; j++) o[j] = Math.pow(r[j] * r[j] + i[j] * i[j], power / 2);
  return out;
}

// ---------------------------------------------------------------- mel scale
export function hzToMel(f: number, htk = false): number {
  if (htk) return 2595 * Math.log10(1 + f / 700);
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logstep = Math.log(6.4) / 27;
  return f >= minLogHz ? minLogMel + Math.log(f / minLogHz) / logstep : f / fSp;
}

export function melToHz(m: number, htk = false): number {
  if (htk) return 700 * (10 ** (m / 2595) - 1);
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logstep = Math.log(6.4) / 27;
  return m >= minLogMel ? minLogHz * Math.exp(logstep * (m - minLogMel)) : fSp * m;
}

/** numpy.linspace(a, b, n) including its exact last point. */
export function linspace(a: number, b: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const step = (b - a) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = a + i * step;
  if (n > 1) out[n - 1] = b;
  return out;
}

export function melFrequencies(n: number, fmin: number, fmax: number, htk = false): Float64Array {
  const mels = linspace(hzToMel(fmin, htk), hzToMel(fmax, htk), n);
  return mels.map((m) => melToHz(m, htk));
}

export interface MelOptions {
  nMels: number;
  fmin?: number;
  fmax?: number;
  htk?: boolean;
  norm?: 'slaney' | null;
}

/** librosa.filters.mel: nMels × (1 + nFft/2) weights (bands × FFT bins), float64. */
export function melFilterBank(sr: number, nFft: number, o: MelOptions): Matrix {
  const fmin = o.fmin ?? 0;
  const fmax = o.fmax ?? sr / 2;
  const htk = o.htk ?? false;
  const bins = 1 + Math.floor(nFft / 2);
  const fftFreqs = linspace(0, sr / 2, bins);
  const melF = melFrequencies(o.nMels + 2, fmin, fmax, htk);
  const w = matrix(o.nMels, bins); // here "frames" = bands
  for (let m = 0; m < o.nMels; m++) {
    const fdiffLo = melF[m + 1] - melF[m];
    const fdiffHi = melF[m + 2] - melF[m + 1];
    const enorm = (o.norm === undefined ? 'slaney' : o.norm) === 'slaney' ? 2 / (melF[m + 2] - melF[m]) : 1;
    for (let k = 0; k < bins; k++) {
      const lower = -(melF[m] - fftFreqs[k]) / fdiffLo;
      const upper = (melF[m + 2] - fftFreqs[k]) / fdiffHi;
      w.data[m * bins + k] = Math.max(0, Math.min(lower, upper)) * enorm;
    }
  }
  return w;
}

/** Each band's span of nonzero weights [lo, hi), found once per filter bank. */
const spanCache = new WeakMap<Matrix, { lo: Int32Array; hi: Int32Array }>();
function spansOf(fb: Matrix): { lo: Int32Array; hi: Int32Array } {
  let spans = spanCache.get(fb);
  if (!spans) {
    const lo = new Int32Array(fb.frames),
      hi = new Int32Array(fb.frames);
    for (let m = 0; m < fb.frames; m++) {
      const row = fb.data.subarray(m * fb.bins, (m + 1) * fb.bins);
      let a = 0,
        b = fb.bins;
      while (a < b && row[a] === 0) a++;
      while (b > a && row[b - 1] === 0) b--;
      [lo[m], hi[m]] = [a, b];
    }
    spanCache.set(fb, (spans = { lo, hi }));
  }
  return spans;
}

/**
 * Multiply each frame of a spectrogram by a filter bank (bands × bins): frames × bands. Mel
 * bands are mostly zeros, so only each band's nonzero span is visited (in WebAssembly).
 */
export function applyFilterBank(spec: Matrix, fb: Matrix): Matrix {
  const { lo, hi } = spansOf(fb);
  return { frames: spec.frames, bins: fb.frames, data: bandProductsWasm(spec.data, spec.frames, spec.bins, fb.data, fb.frames, lo, hi) };
}

const fbCache = new Map<string, Matrix>();
/** The default (Slaney) mel filter bank, built once per parameter set. */
export function melBank(sr: number, nFft: number, nMels: number): Matrix {
  const key = `${sr}/${nFft}/${nMels}`;
  let fb = fbCache.get(key);
  if (!fb) fbCache.set(key, (fb = melFilterBank(sr, nFft, { nMels })));
  return fb;
}

/** librosa.feature.melspectrogram (power 2, Slaney bank): the STFT, power and bank in one WebAssembly pass. */
export function melSpectrogram(y: ArrayLike<number>, sr: number, nFft: number, hop: number, nMels: number): Matrix {
  const fb = melBank(sr, nFft, nMels);
  const { lo, hi } = spansOf(fb);
  const { frames, data } = stftBandsWasm(y, nFft, hop, fftTables(nFft), fb.data, fb.frames, lo, hi);
  return { frames, bins: fb.frames, data };
}

/** librosa.power_to_db with amin 1e-10; ref is a value (use 'max' for the matrix maximum). */
export function powerToDb(s: Matrix, ref: number | 'max' = 1, topDb: number | null = 80, amin = 1e-10): Matrix {
  let refValue = ref === 'max' ? 0 : ref;
  if (ref === 'max') for (const v of s.data) refValue = Math.max(refValue, v);
  const offset = 10 * Math.log10(Math.max(amin, refValue));
  return { frames: s.frames, bins: s.bins, data: powerToDbWasm(s.data, amin, offset, topDb) };
}

/** DCT-II with orthonormal scaling along each frame, keeping the first nOut coefficients. */
const dctBases = new Map<string, Matrix>();
export function dctOrtho(m: Matrix, nOut: number): Matrix {
  const n = m.bins;
  let basis = dctBases.get(`${n}/${nOut}`);
  if (!basis) {
    basis = matrix(nOut, n); // rows = coefficients
    for (let k = 0; k < nOut; k++) {
      const scale = k === 0 ? Math.sqrt(1 / (4 * n)) : Math.sqrt(1 / (2 * n));
      for (let i = 0; i < n; i++) basis.data[k * n + i] = 2 * scale * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
    }
    dctBases.set(`${n}/${nOut}`, basis);
  }
  return applyFilterBank(m, basis);
}

/** librosa.feature.mfcc(y, sr, n_mfcc) with its defaults: dB (ref 1, top_db 80) then DCT-II ortho. */
export function mfccFromMel(mel: Matrix, nMfcc: number): Matrix {
  return dctOrtho(powerToDb(mel, 1, 80), nMfcc);
}

/** librosa.feature.delta (width 9, order 1): Savitzky–Golay derivative with interpolated edges. */
export function delta(m: Matrix, width = 9): Matrix {
  // savgol_filter(deriv=1, polyorder=1, mode='interp'): a least-squares slope over the window;
  // at the edges the polynomial is fitted to the first/last `width` frames.
  const half = width >> 1;
  const out = matrix(m.frames, m.bins);
  if (m.frames < width) return out; // librosa raises; we define the derivative of too short input as 0
  const slope = (k: number, lo: number, at: number) => {
    let sx = 0,
      sy = 0,
      sxx = 0,
      sxy = 0;
    for (let j = 0; j < width; j++) {
      const x = lo + j;
      const v = m.data[x * m.bins + k];
      sx += x;
      sy += v;
      sxx += x * x;
      sxy += x * v;
    }
    void at;
    return (width * sxy - sx * sy) / (width * sxx - sx * sx);
  };
  for (let t = 0; t < m.frames; t++) {
    const lo = Math.min(Math.max(0, t - half), m.frames - width);
    for (let k = 0; k < m.bins; k++) out.data[t * m.bins + k] = slope(k, lo, t);
  }
  return out;
}

// ---------------------------------------------------------------- frame features
/** librosa.feature.zero_crossing_rate: edge padding, |y| ≤ 1e-10 is zero, zero counts as positive. */
export function zeroCrossingRate(y: ArrayLike<number>, frameLength = 2048, hop = 512): Float64Array {
  const pad = frameLength >> 1;
  const n = y.length;
  const frames = 1 + Math.floor(n / hop);
  const out = new Float64Array(frames);
  if (n === 0) return out;
  // crossings[j]: sign changes between samples i − 1 and i for 1 ≤ i ≤ j. The edge padding
  // repeats y[0] and y[n − 1], so it adds none; a frame's crossings (at its positions
  // 1..frameLength−1) are a difference of two counts at clamped signal indices.
  const crossings = new Int32Array(n);
  // Signs as 0/1 integers (negative and not numerically zero), compared without a branch:
  // speech changes sign unpredictably.
  let prev = +(y[0] < -1e-10);
  for (let i = 1; i < n; i++) {
    const cur = +(y[i] < -1e-10);
    crossings[i] = crossings[i - 1] + (cur ^ prev);
    prev = cur;
  }
  const at = (p: number) => crossings[Math.min(n - 1, Math.max(0, p - pad))];
  for (let t = 0; t < frames; t++) out[t] = (at(t * hop + frameLength - 1) - at(t * hop)) / frameLength;
  return out;
}

/** librosa.feature.rms on the waveform: zero padding, no window. */
export function rms(y: ArrayLike<number>, frameLength = 2048, hop = 512): Float64Array {
  const pad = frameLength >> 1;
  const n = y.length;
  const frames = 1 + Math.floor(n / hop);
  // Every frame edge (t·hop − pad, plus frameLength) is a multiple of g, so each g-sample block
  // is squared and summed once (four independent sums: no serial chain through every sample),
  // and a frame's energy is a difference of two prefix sums over blocks.
  const g = gcd(gcd(hop, pad), frameLength);
  const blocks = Math.ceil(n / g);
  const prefix = new Float64Array(blocks + 1);
  for (let b = 0; b < blocks; b++) {
    const lo = b * g,
      hi = Math.min(n, lo + g);
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      i = lo;
    for (; i + 4 <= hi; i += 4) {
      s0 += y[i] * y[i];
      s1 += y[i + 1] * y[i + 1];
      s2 += y[i + 2] * y[i + 2];
      s3 += y[i + 3] * y[i + 3];
    }
    for (; i < hi; i++) s0 += y[i] * y[i];
    prefix[b + 1] = prefix[b] + (s0 + s1 + (s2 + s3));
  }
  const out = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    const start = Math.max(0, t * hop - pad);
    const end = Math.min(n, t * hop - pad + frameLength);
    out[t] = end > start ? Math.sqrt(Math.max(0, prefix[Math.ceil(end / g)] - prefix[start / g]) / frameLength) : 0;
  }
  return out;
}

/** librosa.feature.spectral_centroid on the magnitude STFT; 0 for silent frames. */
export function spectralCentroid(mag: Matrix, sr: number, nFft: number): Float64Array {
  const out = new Float64Array(mag.frames);
  const freq = Float64Array.from({ length: mag.bins }, (_, k) => (k * sr) / nFft);
  const d = mag.data;
  for (let t = 0; t < mag.frames; t++) {
    let s = 0,
      fs = 0;
    for (let k = 0, j = t * mag.bins; k < mag.bins; k++, j++) {
      s += d[j];
      fs += freq[k] * d[j];
    }
    out[t] = s > 1e-300 ? fs / s : 0;
  }
  return out;
}

/** librosa.filters.chroma(sr, n_fft, tuning, n_chroma=12): 12 × (1 + nFft/2). */
export function chromaFilterBank(sr: number, nFft: number, tuning = 0, nChroma = 12, ctroct = 5, octwidth = 2): Matrix {
  const a440 = 440 * 2 ** (tuning / nChroma);
  const frq = new Float64Array(nFft);
  for (let i = 1; i < nFft; i++) frq[i] = nChroma * Math.log2((i * sr) / nFft / (a440 / 16));
  frq[0] = frq[1] - 1.5 * nChroma;
  const width = new Float64Array(nFft);
  for (let i = 0; i < nFft - 1; i++) width[i] = Math.max(frq[i + 1] - frq[i], 1);
  width[nFft - 1] = 1;
  const half = Math.round(nChroma / 2);
  const w = new Float64Array(nChroma * nFft);
  for (let i = 0; i < nFft; i++) {
    let norm = 0;
    for (let c = 0; c < nChroma; c++) {
      const d = mod(frq[i] - c + half + 10 * nChroma, nChroma) - half;
      const v = Math.exp(-0.5 * ((2 * d) / width[i]) ** 2);
      w[c * nFft + i] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    const oct = Math.exp(-0.5 * ((frq[i] / nChroma - ctroct) / octwidth) ** 2);
    for (let c = 0; c < nChroma; c++) w[c * nFft + i] = (w[c * nFft + i] / norm) * oct;
  }
  // base_c: roll by −3 so that row 0 is C; keep the non-aliased bins.
  const bins = 1 + Math.floor(nFft / 2);
  const out = matrix(nChroma, bins);
  for (let c = 0; c < nChroma; c++) {
    const src = (c + 3) % nChroma;
    for (let k = 0; k < bins; k++) out.data[c * bins + k] = w[src * nFft + k];
  }
  return out;
}

const mod = (a: number, b: number) => a - b * Math.floor(a / b);

/** librosa.feature.chroma_stft with tuning=0 (no tuning estimation): each frame scaled to max 1. */
/**
 * librosa.feature.chroma_stft on a power spectrogram: the chroma filter bank at `tuning`
 * (fractions of a chroma bin: librosa's default is estimateTuning of the same STFT), each
 * frame divided by its maximum.
 */
const chromaBanks = new Map<string, Matrix>();
export function chromaStft(power: Matrix, sr: number, nFft: number, tuning: number): Matrix {
  // Estimated tunings are multiples of 0.01: few banks per run.
  const key = `${sr}/${nFft}/${tuning}`;
  let bank = chromaBanks.get(key);
  if (!bank) {
    if (chromaBanks.size >= 256) chromaBanks.clear();
    chromaBanks.set(key, (bank = chromaFilterBank(sr, nFft, tuning)));
  }
  const out = applyFilterBank(power, bank);
  for (let t = 0; t < out.frames; t++) {
    let max = 0;
    for (let c = 0; c < out.bins; c++) max = Math.max(max, Math.abs(out.data[t * out.bins + c]));
    if (max > 1e-300) for (let c = 0; c < out.bins; c++) out.data[t * out.bins + c] /= max;
  }
  return out;
}

/**
 * librosa.estimate_tuning(S=|stft|², sr, bins_per_octave=12) (librosa 0.10): spectral peaks by
 * piptrack (local maxima above 0.1 × the frame's maximum, 150 Hz ≤ f < min(4000, sr/2), with
 * parabolic interpolation of frequency and height), the peaks at least as high as their median,
 * then the most common deviation from the equal-tempered grid (A440) in a histogram of
 * `resolution`-wide bins over [−0.5, 0.5). librosa computes S, the interpolation and the
 * pitches in float32 from its complex64 STFT; so does this (Math.fround), so that the peaks
 * and the histogram come out alike (a near-tie between two bins is decided by those bits).
 * A spectrogram without peaks (silence) has tuning 0, as librosa's (which warns).
 */
export function estimateTuning({ re, im }: StftResult, sr: number, resolution = 0.01, binsPerOctave = 12): number {
  const f32 = Math.fround;
  const nBins = re.bins;
  const nFft = 2 * (nBins - 1);
  const fmin = 150,
    fmax = Math.min(4000, sr / 2);
  const threshold = f32(0.1);
  const pitches: number[] = [];
  const mags: number[] = [];
  const S = new Float32Array(nBins);
  // Bins with fmin ≤ k·sr/nFft < fmax, and never the first or last.
  let kLo = 1;
  while (kLo < nBins - 1 && (kLo * sr) / nFft < fmin) kLo++;
  let kHi = kLo;
  while (kHi < nBins - 1 && (kHi * sr) / nFft < fmax) kHi++;
  const [reData, imData] = [re.data, im.data];
  for (let t = 0; t < re.frames; t++) {
    let max = 0;
    for (let k = 0, j = t * nBins; k < nBins; k++, j++) {
      // np.abs(complex64) ** 2 in float32.
      const r = f32(reData[j]),
        i = f32(imData[j]);
      const mag = f32(Math.sqrt(r * r + i * i));
      const p = f32(mag * mag);
      S[k] = p;
      if (p > max) max = p;
    }
    const ref = f32(threshold * max);
    // Local maxima of the spectrum gated at ref (values at or below it count as 0).
    for (let k = kLo; k < kHi; k++) {
      const x = S[k];
      if (!(x > ref)) continue;
      const before = S[k - 1] > ref ? S[k - 1] : 0;
      const after = S[k + 1] > ref ? S[k + 1] : 0;
      if (!(x > before && x >= after)) continue;
      // numba's stencil: a, b and −b/a in float64 from float32 neighbours, stored as float32.
      const a = f32(S[k + 1] + S[k - 1]) - 2 * S[k];
      const b = f32(S[k + 1] - S[k - 1]) / 2;
      const shift = Math.abs(b) >= Math.abs(a) ? 0 : f32(-b / a);
      const avg = f32(S[k + 1] - S[k - 1]) / 2; // np.gradient
      pitches.push(f32(((k + shift) * sr) / nFft));
      mags.push(f32(S[k] + f32(0.5 * avg * shift)));
    }
  }
  if (pitches.length === 0) return 0;
  const sorted = Float32Array.from(mags).sort();
  const m = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[m] : f32(f32(sorted[m - 1] + sorted[m]) / 2);
  const edges = linspace(-0.5, 0.5, Math.ceil(1 / resolution) + 1);
  const counts = new Int32Array(edges.length - 1);
  for (let i = 0; i < pitches.length; i++) {
    if (!(mags[i] >= median) || !(pitches[i] > 0)) continue;
    let r = f32(f32(binsPerOctave * f32(Math.log2(f32(pitches[i] / 27.5)))) % 1); // A440 / 16
    if (r >= 0.5) r = f32(r - 1);
    // np.histogram: bin i holds edges[i] ≤ r < edges[i + 1]; the last bin is closed.
    let bin = Math.min(counts.length - 1, Math.floor((r + 0.5) / resolution) + 1);
    while (bin > 0 && edges[bin] > r) bin--;
    while (bin < counts.length - 1 && edges[bin + 1] <= r) bin++;
    counts[bin]++;
  }
  let best = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i] > counts[best]) best = i;
  return edges[best];
}

// ---------------------------------------------------------------- phase vocoder
/**
 * librosa.effects.time_stretch: STFT (2048/512), phase vocoder, iSTFT to round(len / rate),
 * all three in WebAssembly. librosa runs the vocoder in float32 (complex64) on angles; this in
 * float64 on unit phasors (see kernels/dsp.ts phaseVocoder: the same rotations, no trigonometry).
 */
export function timeStretch(y: ArrayLike<number>, rate: number, nFft = 2048, hop = 512): Float32Array {
  if (!(rate > 0)) throw new Error(`time_stretch rate must be positive, got ${rate}`);
  const { re, im } = stft(y, nFft, hop);
  const steps: number[] = [];
  for (let s = 0; s < re.frames; s += rate) steps.push(s);
  const out = phaseVocoderWasm(re.data, im.data, re.bins, Float64Array.from(steps));
  const frames = steps.length;
  return istft({ frames, bins: re.bins, data: out.re }, { frames, bins: re.bins, data: out.im }, hop, Math.round(y.length / rate));
}

/** librosa.istft (Hann, centred) with an exact output length; the overlap-add runs in WebAssembly. */
export function istft(re: Matrix, im: Matrix, hop: number, length: number): Float32Array {
  const nFft = 2 * (re.bins - 1);
  const { y, wss } = istftWasm(re.data, im.data, re.frames, nFft, hop, fftTables(nFft));
  const out = new Float32Array(length);
  const start = nFft >> 1;
  for (let i = 0; i < length && start + i < y.length; i++) {
    const s = wss[start + i];
    out[i] = s > 1.1754943508222875e-38 ? y[start + i] / s : y[start + i];
  }
  return out;
}
