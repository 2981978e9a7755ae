import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIBROSA_REF, haveShared } from './paths.ts';
import { decodeWavFile } from '../datasets/audio/wav.ts';
import {
  stft,
  melSpectrogram,
  powerToDb,
  mfccFromMel,
  zeroCrossingRate,
  rms,
  spectralCentroid,
  chromaStft,
  spectrumPower,
  estimateTuning,
  spectrogram,
  melFilterBank,
  melFrequencies,
  timeStretch,
  at,
  type Matrix,
} from '../datasets/audio/spectral.ts';

const HAVE = haveShared("features against librosa's", 'reference/librosa');
const index = HAVE ? JSON.parse(readFileSync(join(LIBROSA_REF, 'index.json'), 'utf8')) : { synthetic: [], real: [] };
const cases: { id: string; wav: string; json: string }[] = [...index.synthetic, ...index.real];

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol)) throw new Error(`${what}[${i}]: ${actual[i]} vs librosa ${expected[i]} (|diff| ${d} > ${tol})`);
  }
}
const row = (m: Matrix, t: number) => Array.from(m.data.subarray(t * m.bins, (t + 1) * m.bins));
const colSums = (m: Matrix) => Array.from({ length: m.frames }, (_, t) => row(m, t).reduce((a, b) => a + b, 0));
const meanOverTime = (m: Matrix) =>
  Array.from({ length: m.bins }, (_, k) => {
    let s = 0;
    for (let t = 0; t < m.frames; t++) s += at(m, t, k);
    return s / m.frames;
  });

describe.each(cases)('librosa reference $id', ({ wav, json }) => {
  const ref = JSON.parse(readFileSync(join(LIBROSA_REF, json), 'utf8'));
  const { samples: y, sampleRate: sr } = decodeWavFile(join(LIBROSA_REF, wav));

  it('decodes like librosa.load(sr=None, mono=True)', () => {
    expect(sr).toBe(ref.load.sr);
    expect(y.length).toBe(ref.load.length);
    expectClose(y.subarray(0, 8), ref.load.first8, 0, 'first8');
    let sum = 0,
      sq = 0;
    for (const v of y) ((sum += v), (sq += v * v));
    expect(sum).toBeCloseTo(ref.load.sum, 9);
    expect(Math.abs(sq - ref.load.sum_sq)).toBeLessThan(1e-9 * Math.max(1, ref.load.sum_sq));
    expect(maxAbs(y)).toBe(ref.load.max_abs);
  });

  it('STFT magnitude', () => {
    const { re, im } = stft(y, 2048, 512);
    expect([re.bins, re.frames]).toEqual(ref.stft_magnitude.shape);
    const mag = (t: number, k: number) => Math.hypot(at(re, t, k), at(im, t, k));
    const scale = Math.max(1, ref.stft_magnitude.float32_vs_float64_input.max_abs_value);
    for (const e of ref.stft_magnitude.entries) expect(Math.abs(mag(e.frame, e.bin) - e.value)).toBeLessThan(1e-5 * scale);
    const sums = Array.from({ length: re.frames }, (_, t) => Array.from({ length: re.bins }, (_, k) => mag(t, k)).reduce((a, b) => a + b));
    expectClose(sums, ref.stft_magnitude.column_sums, 1e-5 * scale * 10, 'column_sums');
  });

  it('mel spectrogram, power_to_db and MFCC', () => {
    const mel = melSpectrogram(y, sr, 2048, 512, 128);
    const melScale = Math.max(1e-3, ref.melspectrogram.max);
    expectClose(colSums(mel), ref.melspectrogram.column_sums, 1e-5 * melScale * 10, 'mel column sums');
    ref.melspectrogram.first_frames.forEach((f: number[], t: number) => expectClose(row(mel, t), f, 1e-5 * melScale, `mel frame ${t}`));
    const db = powerToDb(mel, 'max', 80);
    ref.power_to_db.first_frames.forEach((f: number[], t: number) => expectClose(row(db, t), f, 1e-3, `dB frame ${t}`));
    const mf = mfccFromMel(mel, 40);
    // frames_included is 'all' or the number of leading frames stored
    const frames = ref.mfcc.frames.map((_: unknown, i: number) => i);
    frames.forEach((t: number, i: number) => expectClose(row(mf, t), ref.mfcc.frames[i], 2e-3, `mfcc frame ${t}`));
    expectClose(meanOverTime(mf), ref.mfcc.mean_over_time, 2e-3, 'mfcc mean');
  });

  it('zero-crossing rate (exact), RMS and spectral centroid', () => {
    expectClose(zeroCrossingRate(y), ref.zero_crossing_rate.all_frames, 0, 'zcr');
    const r = rms(y);
    expectClose(r, ref.rms.all_frames, 1e-6 * Math.max(1e-3, maxAbs(ref.rms.all_frames)), 'rms');
    const mag = spectrogram(y, 2048, 512, 1);
    const c = spectralCentroid(mag, sr, 2048);
    expectClose(c, ref.spectral_centroid.all_frames, 1e-3, 'centroid');
  });

  it('estimated tuning, and chroma with it', () => {
    const S = stft(y, 2048, 512);
    const tuning = estimateTuning(S, sr);
    expect(tuning).toBe(ref.chroma_stft.estimated_tuning);
    const ch = chromaStft(spectrumPower(S, 2), sr, 2048, tuning);
    ref.chroma_stft.first_frames.forEach((f: number[], t: number) => expectClose(row(ch, t), f, 1e-5, `chroma frame ${t}`));
    expectClose(meanOverTime(ch), ref.chroma_stft.mean_over_time, 1e-5, 'chroma mean');
  });

  it('chroma with tuning 0', () => {
    const ch = chromaStft(spectrogram(y, 2048, 512, 2), sr, 2048, 0);
    ref.chroma_stft.tuning0.first_frames.forEach((f: number[], t: number) => expectClose(row(ch, t), f, 1e-5, `chroma frame ${t}`));
    expectClose(meanOverTime(ch), ref.chroma_stft.tuning0.mean_over_time, 1e-5, 'chroma mean');
  });
});

const stretchCases = cases.filter((c) => JSON.parse(readFileSync(join(LIBROSA_REF, c.json), 'utf8')).time_stretch);
describe.each(stretchCases)('librosa time_stretch reference $id', ({ wav, json }) => {
  const ref = JSON.parse(readFileSync(join(LIBROSA_REF, json), 'utf8'));
  const { samples: y } = decodeWavFile(join(LIBROSA_REF, wav));
  it('time_stretch (phase vocoder)', () => {
    for (const rate of [0.8, 1.25]) {
      const r = ref.time_stretch[`rate_${rate}`];
      const out = timeStretch(y, rate);
      expect(out.length).toBe(r.length);
      const peak = maxAbs(y);
      expectClose(out.subarray(0, 8), r.first8, 1e-3 * peak, `stretch ${rate} first8`);
      expectClose(out.subarray(r.middle8_start, r.middle8_start + 8), r.middle8, 1e-3 * peak, `stretch ${rate} middle8`);
      let sq = 0;
      for (const v of out) sq += v * v;
      expect(Math.abs(Math.sqrt(sq / out.length) - r.rms)).toBeLessThan(1e-3 * peak);
    }
  });
});

describe.skipIf(!HAVE)('librosa mel filter banks', () => {
  const ref = HAVE ? JSON.parse(readFileSync(join(LIBROSA_REF, 'filters.json'), 'utf8')) : {};
  it('slaney, sr 16000, n_fft 512, 40 bands', () => {
    const r = ref.mel_sr16000_nfft512_nmels40;
    expectClose(melFrequencies(42, 0, 8000), r.mel_frequencies, 1e-9, 'edges');
    const fb = melFilterBank(16000, 512, { nMels: 40 });
    r.values_float64.forEach((v: number[], m: number) => expectClose(row(fb, m), v, 1e-12, `band ${m}`));
  });
  it('htk without norm, sr 22050, n_fft 2048, 128 bands', () => {
    const r = ref.mel_sr22050_nfft2048_nmels128_htk_nonorm;
    expectClose(melFrequencies(130, 0, 11025, true), r.mel_frequencies, 1e-9, 'edges');
    const fb = melFilterBank(22050, 2048, { nMels: 128, htk: true, norm: null });
    expectClose(colSums(fb), r.row_sums, 1e-6, 'row sums'); // librosa summed its float32 weights
    for (const [band, values] of Object.entries(r.rows_float64 as Record<string, number[]>)) {
      expectClose(row(fb, Number(band)), values, 1e-12, `band ${band}`);
    }
  });
});
