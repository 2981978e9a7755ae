/**
 * The spectral feature kinds: the log-mel image and MFCC image for the CNN and ViT, and the
 * summary vector (MFCC, chroma, ZCR, RMS and centroid statistics) for SVM, tree and MLP.
 */
import type { FeatureSettings } from './settings.ts';
import type { ClipSignal } from './kind.ts';
import type { CachedArray } from './cache.ts';
import { specAugment } from '../audio/augment.ts';
import {
  applyFilterBank,
  chromaStft,
  delta,
  estimateTuning,
  melBank,
  mfccFromMel,
  powerToDb,
  rms,
  spectralCentroid,
  spectrumPower,
  stft,
  zeroCrossingRate,
  type Matrix,
} from '../audio/spectral.ts';

export function imageShape(s: FeatureSettings, kind: 'logmel' | 'mfcc'): [number, number] {
  const frames = 1 + Math.floor(Math.round(s.duration * s.sample_rate) / s.hop_length);
  return [kind === 'logmel' ? s.n_mels : s.n_mfcc, frames];
}

/** Names of the summary vector's entries, in order. */
export function summaryNames(s: FeatureSettings): string[] {
  const per = [
    ...Array.from({ length: s.n_mfcc }, (_, i) => `mfcc${i}`),
    ...['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'].map((p) => `chroma_${p}`),
    'zcr',
    'rms',
    'centroid',
  ];
  return [...per.map((n) => `${n}_mean`), ...per.map((n) => `${n}_std`), ...Array.from({ length: s.n_mfcc }, (_, i) => `dmfcc${i}_absmean`)];
}

/** Transpose frames × bins into a bins × frames float32 image. */
function toImage(m: Matrix): Float32Array {
  const img = new Float32Array(m.frames * m.bins);
  for (let t = 0; t < m.frames; t++) for (let k = 0; k < m.bins; k++) img[k * m.frames + t] = m.data[t * m.bins + k];
  return img;
}

/** Mean and (population) standard deviation of each column of a frames × width frame-major array. */
function columnStats(data: ArrayLike<number>, frames: number, width: number): { mean: number[]; std: number[] } {
  const mean: number[] = [],
    std: number[] = [];
  for (let k = 0; k < width; k++) {
    let a = 0;
    for (let t = 0; t < frames; t++) a += data[t * width + k];
    mean.push(a / frames);
  }
  for (let k = 0; k < width; k++) {
    let a = 0;
    for (let t = 0; t < frames; t++) a += (data[t * width + k] - mean[k]) ** 2;
    std.push(Math.sqrt(a / frames));
  }
  return { mean, std };
}

export function summaryVector(y: Float32Array, s: FeatureSettings): Float32Array {
  const S = stft(y, s.n_fft, s.hop_length); // one transform for the mel, chroma and centroid
  const power = spectrumPower(S, 2);
  const mf = mfccFromMel(applyFilterBank(power, melBank(s.sample_rate, s.n_fft, s.n_mels)), s.n_mfcc);
  const chroma = chromaStft(power, s.sample_rate, s.n_fft, estimateTuning(S, s.sample_rate));
  const magnitude = { ...power, data: power.data.map(Math.sqrt) }; // √(re² + im²), as spectrumPower(S, 1)
  const centroid = spectralCentroid(magnitude, s.sample_rate, s.n_fft).map((c) => c / (s.sample_rate / 2));
  const T = mf.frames;
  const parts = [
    columnStats(mf.data, T, s.n_mfcc),
    columnStats(chroma.data, T, 12),
    columnStats(zeroCrossingRate(y, s.n_fft, s.hop_length), T, 1),
    columnStats(rms(y, s.n_fft, s.hop_length), T, 1),
    columnStats(centroid, T, 1),
  ];
  const d = delta(mf);
  const dabs = Array.from({ length: s.n_mfcc }, (_, k) => {
    let a = 0;
    for (let t = 0; t < T; t++) a += Math.abs(d.data[t * s.n_mfcc + k]);
    return a / T;
  });
  return Float32Array.from([...parts.flatMap((p) => p.mean), ...parts.flatMap((p) => p.std), ...dabs]);
}

/** A log-mel (dB) or MFCC image of the fixed-length clip, band-major, masked by the copy's spec_augment draw. */
export function spectralImage(c: ClipSignal, kind: 'logmel' | 'mfcc'): CachedArray {
  // dB re 1.0, not re the clip's maximum: the absolute level (loudness) is an emotion cue.
  const m = kind === 'logmel' ? powerToDb(c.mel(), 1, 80) : mfccFromMel(c.mel(), c.settings.n_mfcc);
  const img = toImage(m);
  if (c.mask) specAugment(img, m.bins, m.frames, c.mask.op, c.mask.seed);
  return { shape: [m.bins, m.frames], data: img };
}

/** Statistics over the speech itself: the cropped clip, not the zero padding. */
export function summaryFeature(c: ClipSignal): CachedArray {
  return { shape: [summaryNames(c.settings).length], data: summaryVector(c.speech, c.settings) };
}
