import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resamplePoly } from '../datasets/audio/resample.ts';

const ref = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures/resample-reference.json'), 'utf8'));
const signal = (sr: number, seconds: number) =>
  Float64Array.from({ length: Math.floor(sr * seconds) }, (_, n) => {
    const t = n / sr;
    return 0.5 * Math.sin(2 * Math.PI * (100 * t + 0.5 * (6000 / seconds) * t * t)) + 0.2 * Math.sin(2 * Math.PI * 440 * t);
  });

describe('polyphase resampling matches scipy.signal.resample_poly', () => {
  it.each(ref.cases as any[])('$from → $to Hz', (c) => {
    const y = resamplePoly(signal(c.from, 0.5), c.from, c.to);
    expect(y.length).toBe(c.n_out);
    const close = (a: ArrayLike<number>, b: number[]) => b.forEach((v, i) => expect(Math.abs(a[i] - v)).toBeLessThan(1e-6));
    close(y.subarray(0, 16), c.first16);
    close(y.subarray(c.middle_start, c.middle_start + 16), c.middle16);
    close(y.subarray(y.length - 16), c.last16);
    let s = 0,
      sq = 0;
    for (const v of y) ((s += v), (sq += v * v));
    expect(Math.abs(s - c.sum)).toBeLessThan(1e-4);
    expect(Math.abs(sq - c.sum_sq) / c.sum_sq).toBeLessThan(1e-6);
  });

  it("rejects what would alias: a 10 kHz tone at 48 kHz is > 55 dB down at 16 kHz (scipy's design: ~57 dB)", () => {
    const x = Float64Array.from({ length: 48000 }, (_, n) => Math.sin((2 * Math.PI * 10000 * n) / 48000));
    const y = resamplePoly(x, 48000, 16000);
    let sq = 0;
    for (let i = 1000; i < 15000; i++) sq += y[i] * y[i];
    expect(10 * Math.log10(sq / 14000 / 0.5)).toBeLessThan(-55);
  });

  // The kernel computes four outputs at a time and the last few one by one: an output must not
  // depend on which path computed it. Trailing zeros move the boundary without changing values.
  it.each([
    [48000, 16000],
    [44100, 16000],
    [16000, 22050],
  ])('%i → %i Hz: blocked and one-by-one outputs are the same floats', (from, to) => {
    const x = signal(from, 0.1).subarray(3); // 4797 samples at 48 kHz: 1599 outputs, the last 3 one by one
    const y = resamplePoly(x, from, to);
    for (const extra of [1, 7, 50, 333, 2000]) {
      const longer = resamplePoly(Float64Array.from([...x, ...new Array(extra).fill(0)]), from, to);
      expect(longer.subarray(0, y.length)).toEqual(y);
    }
  });
});
