/**
 * Training-data augmentation, deterministic per (seed, clip, copy). Waveform ops run before the
 * features; SpecAugment masks run on the log-mel / MFCC image. Test and validation clips never
 * pass through here: the harness calls it for training folds only.
 */
import type { AugmentOp, Range } from '../features/settings.ts';
import { Rng } from '../../core/random.ts';
import { timeStretch } from './spectral.ts';
import { resample } from './read.ts';

const draw = (r: Range, rng: Rng) => (Array.isArray(r) ? rng.uniform(r[0], r[1]) : r);

/** What was done to one copy: recorded in the cache key and the run log. */
export type AppliedOp = { type: AugmentOp['type']; value?: number };

export function planCopy(ops: AugmentOp[], rng: Rng): AppliedOp[] {
  const plan: AppliedOp[] = [];
  for (const op of ops) {
    if (rng.next() >= (op.p ?? 1)) continue;
    switch (op.type) {
      case 'noise':
        plan.push({ type: op.type, value: draw(op.snr_db!, rng) });
        break;
      case 'time_stretch':
        plan.push({ type: op.type, value: draw(op.rate!, rng) });
        break;
      case 'pitch_shift':
        plan.push({ type: op.type, value: draw(op.semitones!, rng) });
        break;
      case 'gain':
        plan.push({ type: op.type, value: draw(op.db!, rng) });
        break;
      case 'time_shift':
        plan.push({ type: op.type, value: rng.uniform(-op.max_seconds!, op.max_seconds!) });
        break;
      case 'spec_augment':
        plan.push({ type: op.type, value: rng.int(2 ** 31) });
        break;
    }
  }
  return plan;
}

export async function augmentWaveform(y: Float32Array, sr: number, plan: AppliedOp[], rng: Rng): Promise<Float32Array> {
  let x = y;
  for (const op of plan) {
    const v = op.value!;
    switch (op.type) {
      case 'noise': {
        let p = 0;
        for (let i = 0; i < x.length; i++) p += x[i] * x[i];
        p /= Math.max(1, x.length);
        const sd = Math.sqrt(p / 10 ** (v / 10));
        const noise = new Float32Array(x.length);
        rng.fillNormal(noise);
        for (let i = 0; i < x.length; i++) noise[i] = x[i] + sd * noise[i];
        x = noise;
        break;
      }
      case 'gain': {
        const g = 10 ** (v / 20);
        x = x.map((s) => s * g);
        break;
      }
      case 'time_shift': {
        const k = Math.round(v * sr);
        const out = new Float32Array(x.length);
        for (let i = 0; i < x.length; i++) {
          const j = i - k;
          if (j >= 0 && j < x.length) out[i] = x[j];
        }
        x = out;
        break;
      }
      case 'time_stretch':
        x = timeStretch(x, v);
        break;
      case 'pitch_shift': {
        // librosa.effects.pitch_shift: stretch by 2^(-n/12), then resample by the same factor
        // back to the original length. The factor as a fraction with a denominator ≤ 1000
        // (within 0.05%, 0.9 cent): the polyphase filter (20·max(p, q) + 1 taps) is designed
        // afresh for every drawn value, and sr/rate rounded to whole Hz took 360k taps (4 ms).
        const rate = 2 ** (-v / 12);
        const stretched = timeStretch(x, rate);
        const [p, q] = fraction(rate, 1000);
        const shifted = resample(stretched, q, p);
        const out = new Float32Array(x.length);
        out.set(shifted.subarray(0, x.length));
        x = out;
        break;
      }
      case 'spec_augment':
        break; // image-level, see specAugment
    }
  }
  return x;
}

/**
 * The fraction p/q closest to x with q ≤ maxDen (Python's Fraction.limit_denominator:
 * continued-fraction convergents, then the best semiconvergent).
 */
export function fraction(x: number, maxDen: number): [number, number] {
  if (!(x > 0) || !Number.isFinite(x)) throw new Error(`fraction: expected a positive number, got ${x}`);
  let [p0, q0, p1, q1] = [0, 1, 1, 0];
  let r = x;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(r);
    if (q0 + a * q1 > maxDen) break;
    [p0, q0, p1, q1] = [p1, q1, p0 + a * p1, q0 + a * q1];
    if (r === a) return [p1, q1]; // x is this fraction
    r = 1 / (r - a);
  }
  const k = Math.floor((maxDen - q0) / q1);
  const [ps, qs] = [p0 + k * p1, q0 + k * q1];
  return Math.abs(p1 / q1 - x) <= Math.abs(ps / qs - x) ? [p1, q1] : [ps, qs];
}

/** SpecAugment (Park et al. 2019): zero (= image minimum) time and frequency stripes of an H×W image. */
export function specAugment(img: Float32Array, height: number, width: number, op: AugmentOp, seed: number): void {
  const rng = new Rng(seed);
  let min = Infinity;
  for (const v of img) min = Math.min(min, v);
  for (let m = 0; m < (op.freq_masks ?? 2); m++) {
    const w = rng.int((op.freq_width ?? 8) + 1);
    const f0 = rng.int(Math.max(1, height - w));
    for (let h = f0; h < Math.min(height, f0 + w); h++) img.fill(min, h * width, (h + 1) * width);
  }
  for (let m = 0; m < (op.time_masks ?? 2); m++) {
    const w = rng.int((op.time_width ?? 10) + 1);
    const t0 = rng.int(Math.max(1, width - w));
    for (let h = 0; h < height; h++) img.fill(min, h * width + t0, h * width + Math.min(width, t0 + w));
  }
}
