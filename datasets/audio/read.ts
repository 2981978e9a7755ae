/**
 * From a clip to the waveform the features see: decode (or synthesize), resample to the suite
 * rate (polyphase FIR, see resample.ts), trim silence, fix the length.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Clip } from '../types.ts';
import { decodeWavBuffer } from './wav.ts';
import { renderUtterance } from '../corpora/synthetic.ts';
import { rms } from './spectral.ts';
import { resamplePoly } from './resample.ts';

/** Recorded in every feature cache key: changing the resampler invalidates cached features. */
export const RESAMPLER = 'polyphase kaiser(5) 20·max(up,down)+1 taps (scipy resample_poly design), float32 SIMD';

export function resample(x: Float32Array, from: number, to: number): Float32Array {
  return from === to ? x : resamplePoly(x, from, to);
}

export interface ClipAudio {
  samples: Float32Array;
  sampleRate: number;
  /** sha256 of the source (file bytes, or the synthetic spec): the cache key's base. Computed on first call (≈0.2 ms a clip), so a run without a cache never hashes. */
  contentHash: () => string;
  nativeRate: number;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * sha256 of a clip's source: the file's bytes, or the synthetic spec. The feature cache keys on
 * it, and a run records it per clip, so that a changed file or a duplicate under another name
 * is seen. Throws (naming the file) when the file cannot be read.
 */
export function sourceContentHash(clip: Clip): string {
  return clip.source.kind === 'synthetic' ? sha256(JSON.stringify(clip.source.spec)) : sha256(readFileSync(clip.source.path));
}

/** Read a clip at `sampleRate`. Throws WavError (naming the file) for undecodable input. */
export async function readClip(clip: Clip, sampleRate: number): Promise<ClipAudio> {
  if (clip.source.kind === 'synthetic') {
    const spec = clip.source.spec;
    const raw = renderUtterance(spec);
    return {
      samples: resample(raw, spec.sampleRate, sampleRate),
      sampleRate,
      nativeRate: spec.sampleRate,
      contentHash: once(() => sha256(JSON.stringify(spec))),
    };
  }
  const buf = readFileSync(clip.source.path);
  const decoded = decodeWavBuffer(buf, clip.source.path);
  return {
    samples: resample(decoded.samples, decoded.sampleRate, sampleRate),
    sampleRate,
    nativeRate: decoded.sampleRate,
    contentHash: once(() => sha256(buf)),
  };
}

function once<T>(f: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: f() }).v;
}

/**
 * librosa.effects.trim-like: drop leading and trailing frames quieter than `topDb` below the
 * loudest frame (RMS, 2048/512 frames scaled to the rate). A clip that is silent throughout is
 * kept whole, so that it still yields (defined, finite) features.
 */
export function trimSilence(y: Float32Array, topDb: number, frameLength = 2048, hop = 512): Float32Array {
  if (topDb <= 0 || y.length === 0) return y;
  const r = rms(y, frameLength, hop);
  let max = 0;
  for (const v of r) max = Math.max(max, v);
  if (max <= 1e-10) return y;
  const threshold = max * 10 ** (-topDb / 20);
  let first = -1,
    last = -1;
  for (let t = 0; t < r.length; t++) {
    if (r[t] > threshold) {
      if (first < 0) first = t;
      last = t;
    }
  }
  const start = Math.max(0, first * hop);
  const end = Math.min(y.length, (last + 1) * hop);
  return end > start ? y.subarray(start, end) : y;
}

/** Centre-crop a longer clip; zero-pad a shorter one equally on both sides. */
export function fixLength(y: Float32Array, n: number): Float32Array {
  if (y.length === n) return y;
  if (y.length > n) {
    const start = (y.length - n) >> 1;
    return y.slice(start, start + n);
  }
  const out = new Float32Array(n);
  out.set(y, (n - y.length) >> 1);
  return out;
}
