/**
 * The short-time analyses eGeMAPS rests on, at a 10 ms hop, frame i covering the samples from
 * i · 10 ms: magnitude spectra of 25 ms Hamming frames (the spectral descriptors), and of 60 ms
 * frames for the pitch, which needs several periods of a low voice in one window.
 */
import { RealFFT } from '../../audio/fft.ts';

export const HOP_SECONDS = 0.01;

export interface Spectra {
  /** Magnitudes, frames × (n/2 + 1). */
  mag: Float64Array[];
  /** FFT size. */
  n: number;
  sampleRate: number;
}

const EMPTY = new Float64Array(0);
const ffts = new Map<number, RealFFT>();
const fftOf = (n: number) => ffts.get(n) ?? (ffts.set(n, new RealFFT(n)), ffts.get(n)!);

export function hamming(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (n - 1)));
}

/** Gaussian window (σ = 0.4 of the half-width), for the pitch's long frames. */
export function gaussian(n: number, sigma = 0.4): Float64Array {
  const h = (n - 1) / 2;
  return Float64Array.from({ length: n }, (_, i) => Math.exp(-0.5 * ((i - h) / (sigma * h)) ** 2));
}

/** Number of 10 ms frames of a recording of `length` samples. */
export const frameCount = (length: number, sampleRate: number) => Math.max(1, Math.floor(length / Math.round(HOP_SECONDS * sampleRate)));

/** Magnitude spectra of `seconds`-long frames under `window`, one per 10 ms (or only those `wanted`); n is the next power of two. */
export function spectra(
  y: Float64Array,
  sampleRate: number,
  seconds: number,
  window: (n: number) => Float64Array,
  wanted?: (frame: number) => boolean,
): Spectra {
  const win = Math.round(seconds * sampleRate);
  const hop = Math.round(HOP_SECONDS * sampleRate);
  let n = 1;
  while (n < win) n *= 2;
  const w = window(win);
  const fft = fftOf(n);
  const frame = new Float64Array(n);
  const re = new Float64Array(n / 2 + 1),
    im = new Float64Array(n / 2 + 1);
  const count = frameCount(y.length, sampleRate);
  const mag: Float64Array[] = [];
  for (let f = 0; f < count; f++) {
    if (wanted && !wanted(f)) {
      mag.push(EMPTY);
      continue;
    }
    frame.fill(0);
    const start = f * hop;
    for (let i = 0; i < win && start + i < y.length; i++) frame[i] = y[start + i] * w[i];
    fft.forward(frame, re, im);
    const m = new Float64Array(n / 2 + 1);
    for (let k = 0; k <= n / 2; k++) m[k] = Math.sqrt(re[k] * re[k] + im[k] * im[k]);
    mag.push(m);
  }
  return { mag, n, sampleRate };
}

/** The bin of frequency f (Hz), rounded. */
export const binOf = (s: Pick<Spectra, 'n' | 'sampleRate'>, f: number) => Math.round((f * s.n) / s.sampleRate);
/** The frequency (Hz) of bin k. */
export const hzOf = (s: Pick<Spectra, 'n' | 'sampleRate'>, k: number) => (k * s.sampleRate) / s.n;
