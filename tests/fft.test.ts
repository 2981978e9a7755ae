import { describe, it, expect } from 'vitest';
import { RealFFT } from '../datasets/audio/fft.ts';
import { Rng } from '../core/random.ts';
import {
  applyFilterBank,
  hann,
  istft,
  melBank,
  melSpectrogram,
  powerToDb,
  rms,
  spectrumPower,
  stft,
  timeStretch,
  zeroCrossingRate,
} from '../datasets/audio/spectral.ts';

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

describe('mel spectrogram in one WebAssembly pass', () => {
  // STFT, power and filter bank without the spectrogram leaving wasm memory: the same doubles
  // as the three steps one after another (odd and even frame counts: frames go in pairs).
  it.each([
    [512, 256, 64, 16000, 48000],
    [512, 256, 64, 16000, 47999],
    [2048, 512, 128, 22050, 12345],
    [512, 256, 40, 16000, 300],
  ])('n_fft %i, hop %i, %i mels at %i Hz, %i samples: the same doubles as stft → power → bank', (nFft, hop, nMels, sr, len) => {
    const rng = new Rng(len);
    const y = Float32Array.from({ length: len }, () => rng.normal());
    const fused = melSpectrogram(y, sr, nFft, hop, nMels);
    const steps = applyFilterBank(spectrumPower(stft(y, nFft, hop), 2), melBank(sr, nFft, nMels));
    expect(fused.frames).toBe(steps.frames);
    expect(fused.bins).toBe(nMels);
    expect(fused.data).toEqual(steps.data);
  });
});

describe('power_to_db in WebAssembly', () => {
  it('is 10·log10(max(amin, x)) − 10·log10(ref), floored at max − top_db', () => {
    const rng = new Rng(7);
    const data = Float64Array.from({ length: 1001 }, (_, i) => (i % 97 === 0 ? 0 : Math.exp(rng.normal() * 8)));
    const m = { frames: 7, bins: 143, data };
    for (const [ref, topDb] of [
      [1, 80],
      [1, null],
      ['max', 80],
      [3.5, 20],
    ] as const) {
      const refValue = ref === 'max' ? Math.max(...data) : ref;
      const plain = Array.from(data, (x) => 10 * Math.log10(Math.max(1e-10, x)) - 10 * Math.log10(refValue));
      const floor = topDb === null ? -Infinity : Math.max(...plain) - topDb;
      const got = powerToDb(m, ref, topDb).data;
      for (let i = 0; i < data.length; i++) expect(got[i]).toBeCloseTo(Math.max(plain[i], floor), 12);
    }
  });
});

describe('frame features by running sums', () => {
  // The definitions: every frame summed on its own (zero padding for RMS, edge padding for ZCR).
  function rmsPlain(y: Float32Array, fl: number, hop: number): number[] {
    return Array.from({ length: 1 + Math.floor(y.length / hop) }, (_, t) => {
      let s = 0;
      for (let j = t * hop - (fl >> 1); j < t * hop - (fl >> 1) + fl; j++) if (j >= 0 && j < y.length) s += y[j] * y[j];
      return Math.sqrt(s / fl);
    });
  }
  function zcrPlain(y: Float32Array, fl: number, hop: number): number[] {
    const v = (p: number) => y[Math.min(y.length - 1, Math.max(0, p - (fl >> 1)))];
    const neg = (x: number) => Math.abs(x) > 1e-10 && x < 0;
    return Array.from({ length: 1 + Math.floor(y.length / hop) }, (_, t) => {
      let c = 0;
      for (let s = 1; s < fl; s++) if (neg(v(t * hop + s)) !== neg(v(t * hop + s - 1))) c++;
      return c / fl;
    });
  }
  it.each([
    [2048, 512, 69000],
    [512, 256, 4001],
    [400, 160, 3333],
    [301, 100, 999],
    [2048, 512, 700],
  ])('frame %i, hop %i, %i samples: RMS and ZCR as frame-by-frame sums', (fl, hop, len) => {
    const rng = new Rng(fl + len);
    // Speech-like: runs of silence (exact zeros and values within ±1e-10) between noise bursts.
    const y = Float32Array.from({ length: len }, (_, i) => ((i >> 7) % 3 === 0 ? (i % 5) * 1e-11 * (i % 2 ? 1 : -1) : rng.normal()));
    const r = rms(y, fl, hop);
    const plainR = rmsPlain(y, fl, hop);
    for (let t = 0; t < r.length; t++) expect(r[t]).toBeCloseTo(plainR[t], 12);
    expect(Array.from(zeroCrossingRate(y, fl, hop))).toEqual(zcrPlain(y, fl, hop));
  });
});

describe('inverse STFT in WebAssembly', () => {
  // The scalar statement: RealFFT.inverse of every frame, windowed and overlap-added in order.
  function istftScalar(re: Float64Array, im: Float64Array, frames: number, nFft: number, hop: number, length: number): Float32Array {
    const f = new RealFFT(nFft);
    const w = hann(nFft);
    const bins = nFft / 2 + 1;
    const total = nFft + hop * (frames - 1);
    const [y, wss, frame] = [new Float64Array(total), new Float64Array(total), new Float64Array(nFft)];
    for (let t = 0; t < frames; t++) {
      f.inverse(re.subarray(t * bins, (t + 1) * bins), im.subarray(t * bins, (t + 1) * bins), frame);
      for (let i = 0; i < nFft; i++) {
        y[t * hop + i] += frame[i] * w[i];
        wss[t * hop + i] += w[i] * w[i];
      }
    }
    return Float32Array.from({ length }, (_, i) => {
      const s = wss[nFft / 2 + i];
      return nFft / 2 + i >= total ? 0 : s > 1.1754943508222875e-38 ? y[nFft / 2 + i] / s : y[nFft / 2 + i];
    });
  }
  it.each([
    [2048, 512, 48000, 48000],
    [2048, 512, 47000, 47100],
    [512, 128, 999, 1000],
    [8, 2, 7, 7],
  ])('n_fft %i, hop %i, %i samples out of %i: the same floats as RealFFT.inverse frame by frame', (nFft, hop, len, length) => {
    const rng = new Rng(len);
    const y = Float32Array.from({ length: len }, () => rng.normal());
    const { re, im } = stft(y, nFft, hop);
    // Perturb the spectra so that they are not exactly an STFT (as after a phase vocoder).
    for (let j = 0; j < re.data.length; j++) [re.data[j], im.data[j]] = [re.data[j] * (1 + 0.1 * rng.normal()), im.data[j] + 0.1 * rng.normal()];
    expect(istft(re, im, hop, length)).toEqual(istftScalar(re.data, im.data, re.frames, nFft, hop, length));
    // And an STFT comes back as the signal.
    const back = istft(stft(y, nFft, hop).re, stft(y, nFft, hop).im, hop, len);
    for (let i = 0; i < len; i++) expect(back[i]).toBeCloseTo(y[i], 4);
  });
});

describe('phase vocoder on unit phasors', () => {
  // librosa's statement, in float64: the phase accumulated as an angle and wrapped with
  // numpy.round (halves to even), the output built with cos and sin.
  function timeStretchAngles(y: Float32Array, rate: number, nFft = 2048, hop = 512): Float32Array {
    const { re, im } = stft(y, nFft, hop);
    const [bins, nIn] = [re.bins, re.frames];
    const col = (t: number, k: number) => (t < nIn ? [re.data[t * bins + k], im.data[t * bins + k]] : [0, 0]);
    const steps: number[] = [];
    for (let s = 0; s < nIn; s += rate) steps.push(s);
    const outRe = new Float64Array(steps.length * bins),
      outIm = new Float64Array(steps.length * bins);
    const adv = Float64Array.from({ length: bins }, (_, k) => (Math.PI * hop * k) / (bins - 1));
    const phase = Float64Array.from({ length: bins }, (_, k) => Math.atan2(im.data[k], re.data[k]));
    const roundHalfEven = (x: number) => (Math.abs(x % 1) === 0.5 && Math.round(x) % 2 !== 0 ? Math.round(x) - 1 : Math.round(x));
    steps.forEach((step, t) => {
      const i0 = Math.floor(step);
      const alpha = step - i0;
      for (let k = 0; k < bins; k++) {
        const [r0, q0] = col(i0, k),
          [r1, q1] = col(i0 + 1, k);
        const mag = (1 - alpha) * Math.hypot(r0, q0) + alpha * Math.hypot(r1, q1);
        outRe[t * bins + k] = mag * Math.cos(phase[k]);
        outIm[t * bins + k] = mag * Math.sin(phase[k]);
        let d = Math.atan2(q1, r1) - Math.atan2(q0, r0) - adv[k];
        d -= 2 * Math.PI * roundHalfEven(d / (2 * Math.PI));
        phase[k] += adv[k] + d;
      }
    });
    const m = (data: Float64Array) => ({ frames: steps.length, bins, data });
    return istft(m(outRe), m(outIm), hop, Math.round(y.length / rate));
  }
  it.each([0.8, 0.9, 1.1, 1.25, 2])('rate %f: the same signal as accumulating angles (to float32 rounding)', (rate) => {
    const rng = new Rng(Math.round(rate * 100));
    // Tones, noise and a silent stretch (zero bins: numpy's angle(0) = 0).
    const y = Float32Array.from({ length: 24000 }, (_, i) =>
      i > 8000 && i < 12000 ? 0 : 0.4 * Math.sin(i * 0.07) + 0.2 * Math.sin(i * 0.31 + Math.sin(i * 0.001)) + 0.05 * rng.normal(),
    );
    const got = timeStretch(y, rate);
    const want = timeStretchAngles(y, rate);
    expect(got.length).toBe(want.length);
    let err = 0;
    for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
    expect(err).toBeLessThan(2 ** -23); // one float32 step at the peak (0.65 < 1)
  });
});
