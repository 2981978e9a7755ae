import { describe, it, expect } from 'vitest';
import { RealFFT } from '../datasets/fft.ts';
import { Rng } from '../datasets/random.ts';
import { stft, hann } from '../datasets/spectral.ts';

/** The definition, O(n²). */
function dft(x: Float64Array): [Float64Array, Float64Array] {
  const n = x.length;
  const re = new Float64Array(n / 2 + 1),
    im = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    for (let t = 0; t < n; t++) {
      re[k] += x[t] * Math.cos((2 * Math.PI * k * t) / n);
      im[k] -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
    }
  }
  return [re, im];
}

describe('real FFT', () => {
  it.each([4, 8, 64, 512, 2048])('n = %i matches the DFT and inverts', (n) => {
    const rng = new Rng(n);
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const f = new RealFFT(n);
    const re = new Float64Array(n / 2 + 1),
      im = new Float64Array(n / 2 + 1);
    f.forward(x, re, im);
    const [dr, di] = dft(x);
    for (let k = 0; k <= n / 2; k++) {
      expect(Math.abs(re[k] - dr[k])).toBeLessThan(1e-9 * n);
      expect(Math.abs(im[k] - di[k])).toBeLessThan(1e-9 * n);
    }
    const back = new Float64Array(n);
    f.inverse(re, im, back);
    for (let t = 0; t < n; t++) expect(Math.abs(back[t] - x[t])).toBeLessThan(1e-12 * n);
  });
  it('refuses sizes that are not powers of two', () => {
    expect(() => new RealFFT(100)).toThrow(/power of two/);
  });
});

describe('STFT in WebAssembly', () => {
  // The kernel runs RealFFT.forward's arithmetic two frames at a time: the same doubles.
  it.each([
    [4, 1, 3],
    [512, 256, 4001],
    [512, 128, 16000],
    [2048, 512, 12345],
    [2048, 512, 100],
  ])('n_fft %i, hop %i, %i samples: frame for frame the scalar FFT', (nFft, hop, len) => {
    const rng = new Rng(len);
    const y = Float32Array.from({ length: len }, () => rng.normal());
    const { re, im } = stft(y, nFft, hop);
    expect(re.frames).toBe(1 + Math.floor(len / hop));
    const f = new RealFFT(nFft);
    const w = hann(nFft);
    const frame = new Float64Array(nFft);
    const bins = nFft / 2 + 1;
    const [r, i] = [new Float64Array(bins), new Float64Array(bins)];
    for (let t = 0; t < re.frames; t++) {
      for (let s = 0; s < nFft; s++) {
        const j = t * hop - nFft / 2 + s;
        frame[s] = j >= 0 && j < len ? y[j] * w[s] : 0;
      }
      f.forward(frame, r, i);
      expect(re.data.subarray(t * bins, (t + 1) * bins)).toEqual(r);
      expect(im.data.subarray(t * bins, (t + 1) * bins)).toEqual(i);
    }
  });
});
