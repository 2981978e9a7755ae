import { describe, it, expect } from 'vitest';
import { RealFFT } from '../datasets/fft.ts';
import { Rng } from '../datasets/random.ts';

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
