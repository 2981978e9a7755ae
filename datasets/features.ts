/**
 * Feature extraction for one clip (and its augmented copies): the log-mel image and MFCC
 * sequence for CNN/ViT, the summary vector for SVM/tree. Results go through the feature cache.
 */
import type { Clip } from './types.ts';
import type { FeatureSettings, AugmentOp } from './settings.ts';
import type { FeatureKind } from '../models/params.ts';
import { readClip, trimSilence, fixLength, RESAMPLER } from './audio.ts';
import { planCopy, augmentWaveform, specAugment, type AppliedOp } from './augment.ts';
import {
  applyFilterBank,
  chromaStft,
  delta,
  estimateTuning,
  melBank,
  melSpectrogram,
  mfccFromMel,
  powerToDb,
  rms,
  spectralCentroid,
  spectrumPower,
  stft,
  zeroCrossingRate,
  type Matrix,
} from './spectral.ts';
import { FeatureCache, type CachedArray } from './cache.ts';
import { Rng } from './random.ts';

/** In every cache key: 8 = entries carry a checksum of their floats (older entries are never read). */
export const FEATURE_VERSION = 8;

/** A clip's features: images are stored band-major (H = bands, W = frames). */
export type FeatureSet = Partial<Record<FeatureKind, CachedArray>>;

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

function summaryVector(y: Float32Array, s: FeatureSettings): Float32Array {
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

function allFinite(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

export interface ExtractRequest {
  clip: Clip;
  kinds: FeatureKind[];
  settings: FeatureSettings;
  /** 0 = the clip itself; 1.. = augmented copies (training clips only). */
  copy: number;
  ops: AugmentOp[];
  seed: number;
}

/** The augmentation drawn for a clip copy (none for the clip itself), and the generator that drew it. */
function augmentPlan(req: ExtractRequest): { plan: AppliedOp[]; rng: Rng } {
  const rng = new Rng(`augment:${req.seed}:${req.clip.id}:${req.copy}`);
  return { plan: req.copy > 0 ? planCopy(req.ops, rng) : [], rng };
}

/** The feature cache key of one feature of a clip copy, given its source's content hash. */
export function featureKey(req: ExtractRequest, contentHash: string, kind: FeatureKind): string {
  const { plan } = augmentPlan(req);
  return FeatureCache.key({
    v: FEATURE_VERSION,
    hash: contentHash,
    kind,
    s: req.settings,
    plan,
    resampler: RESAMPLER,
    spec: plan.some((p) => p.type === 'spec_augment') ? req.ops : undefined,
  });
}

/** Extract (or fetch from the cache) the requested features of one clip copy. */
export async function extractFeatures(req: ExtractRequest, cache: FeatureCache, sourceHash?: Map<string, string>): Promise<FeatureSet> {
  const { clip, settings: s } = req;
  const { plan, rng } = augmentPlan(req);
  const maskPlan = plan.find((p) => p.type === 'spec_augment');
  const maskOp = maskPlan && req.ops.find((o) => o.type === 'spec_augment')!;
  const keyOf = (hash: string, kind: FeatureKind) => featureKey(req, hash, kind);
  const out: FeatureSet = {};
  const known = sourceHash?.get(clip.id);
  if (known) {
    for (const kind of req.kinds) {
      const hit = cache.get(keyOf(known, kind));
      if (hit) out[kind] = hit;
    }
    if (req.kinds.every((k) => out[k])) return out;
  }
  const audio = await readClip(clip, s.sample_rate);
  if (cache.enabled) sourceHash?.set(clip.id, audio.contentHash());
  let y = trimSilence(audio.samples, s.trim_db);
  if (plan.length) y = await augmentWaveform(y, s.sample_rate, plan, rng);
  const n = Math.round(s.duration * s.sample_rate);
  const fixed = fixLength(y, n);
  let mel: Matrix | undefined;
  for (const kind of req.kinds) {
    if (out[kind]) continue;
    // Without a cache folder there is nothing to look up, so the source is never hashed.
    const key = cache.enabled ? keyOf(audio.contentHash(), kind) : '';
    const hit = cache.get(key);
    if (hit) {
      out[kind] = hit;
      continue;
    }
    let value: CachedArray;
    if (kind === 'summary') {
      // Statistics over the speech itself: the cropped clip, not the zero padding.
      value = { shape: [summaryNames(s).length], data: summaryVector(y.length > n ? fixed : y, s) };
    } else {
      mel ??= melSpectrogram(fixed, s.sample_rate, s.n_fft, s.hop_length, s.n_mels);
      // dB re 1.0, not re the clip's maximum: the absolute level (loudness) is an emotion cue.
      const m = kind === 'logmel' ? powerToDb(mel, 1, 80) : mfccFromMel(mel, s.n_mfcc);
      const img = toImage(m);
      if (maskPlan) specAugment(img, m.bins, m.frames, maskOp!, maskPlan.value!);
      value = { shape: [m.bins, m.frames], data: img };
    }
    if (!allFinite(value.data)) throw new Error(`${clip.id}: non-finite ${kind} feature`);
    cache.put(key, value);
    out[kind] = value;
  }
  return out;
}
