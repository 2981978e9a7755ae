import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractFeatures } from '../datasets/features/extract.ts';
import { summaryNames, imageShape } from '../datasets/features/spectral-kinds.ts';
import { FeatureCache } from '../datasets/features/cache.ts';
import { encodeWavPcm16 } from '../datasets/audio/wav.ts';
import { resample, trimSilence, fixLength } from '../datasets/audio/read.ts';
import { synthesizeCorpus, renderUtterance, DEFAULT_SYNTHETIC } from '../datasets/corpora/synthetic.ts';
import type { Clip } from '../datasets/types.ts';
import { augmentWaveform, fraction } from '../datasets/audio/augment.ts';
import { Rng } from '../core/random.ts';
import type { FeatureSettings } from '../harness/suite.ts';

const settings: FeatureSettings = { sample_rate: 16000, duration: 1.5, trim_db: 40, n_fft: 512, hop_length: 256, n_mels: 40, n_mfcc: 20 };
const fileClip = (path: string): Clip => ({
  id: `t/${path}`,
  source: { kind: 'file', path },
  corpus: 't',
  speaker: 's',
  emotion: 'neutral',
  originalLabel: 'n',
});
const dir = mkdtempSync(join(tmpdir(), 'serbench-feat-'));
const write = (name: string, x: Float32Array, sr = 16000) => {
  const p = join(dir, name);
  writeFileSync(p, encodeWavPcm16(x, sr));
  return fileClip(p);
};
const allFinite = (a: Float32Array) => a.every((v) => Number.isFinite(v));

describe('features', () => {
  it('have the stated shapes: log-mel and MFCC images, a summary vector', async () => {
    const clip = write(
      'tone.wav',
      Float32Array.from({ length: 44100 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / 44100)),
      44100,
    );
    const f = await extractFeatures({ clip, kinds: ['logmel', 'mfcc', 'summary'], settings, copy: 0, ops: [], seed: 0 }, new FeatureCache(null));
    expect(f.logmel!.shape).toEqual(imageShape(settings, 'logmel'));
    expect(f.logmel!.shape).toEqual([40, 94]);
    expect(f.mfcc!.shape).toEqual([20, 94]);
    expect(f.summary!.shape).toEqual([summaryNames(settings).length]);
    expect(summaryNames(settings).length).toBe(2 * (20 + 12 + 3) + 20);
    for (const k of ['logmel', 'mfcc', 'summary'] as const) expect(allFinite(f[k]!.data)).toBe(true);
  });

  it('silent clips and clips shorter than one frame give defined, finite features', async () => {
    for (const [name, x] of [
      ['silence.wav', new Float32Array(16000)],
      ['short.wav', Float32Array.from({ length: 100 }, (_, i) => Math.sin(i))],
      ['one.wav', new Float32Array([0.5])],
    ] as const) {
      const f = await extractFeatures(
        { clip: write(name, x), kinds: ['logmel', 'mfcc', 'summary'], settings, copy: 0, ops: [], seed: 0 },
        new FeatureCache(null),
      );
      for (const k of ['logmel', 'mfcc', 'summary'] as const) expect(allFinite(f[k]!.data), `${name} ${k}`).toBe(true);
    }
  });

  it('the cache skips the work on a second run and returns identical features', async () => {
    const cache = new FeatureCache(mkdtempSync(join(tmpdir(), 'serbench-cache-')));
    const clips = synthesizeCorpus({ ...DEFAULT_SYNTHETIC, speakersPerCorpus: 2, clipsPerEmotion: 1, emotions: ['sad', 'angry'] }).clips;
    const run = async () =>
      Promise.all(clips.map((clip) => extractFeatures({ clip, kinds: ['logmel', 'summary'], settings, copy: 0, ops: [], seed: 0 }, cache)));
    const first = await run();
    expect([cache.hits, cache.misses]).toEqual([0, 2 * clips.length]);
    const second = await run();
    expect([cache.hits, cache.misses]).toEqual([2 * clips.length, 2 * clips.length]);
    second.forEach((f, i) => expect(Array.from(f.logmel!.data)).toEqual(Array.from(first[i].logmel!.data)));
  });

  it('a second cache reader sees complete entries only (writes are atomic renames)', async () => {
    const dirA = mkdtempSync(join(tmpdir(), 'serbench-cache-'));
    const a = new FeatureCache(dirA),
      b = new FeatureCache(dirA);
    const key = FeatureCache.key({ x: 1 });
    a.put(key, { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    expect(b.get(key)).toEqual({ shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
  });

  it('augmentation is deterministic per seed and copy, and copy 0 is never augmented', async () => {
    const [clip] = synthesizeCorpus({ ...DEFAULT_SYNTHETIC, speakersPerCorpus: 2, clipsPerEmotion: 1, emotions: ['happy'] }).clips;
    const ops = [
      { type: 'noise' as const, snr_db: [5, 10] as [number, number] },
      { type: 'time_stretch' as const, rate: [0.8, 1.2] as [number, number] },
      { type: 'pitch_shift' as const, semitones: 2 },
      { type: 'spec_augment' as const },
    ];
    const get = (copy: number, seed: number) =>
      extractFeatures({ clip, kinds: ['logmel'], settings, copy, ops, seed }, new FeatureCache(null)).then((f) => Array.from(f.logmel!.data));
    const plain = await extractFeatures({ clip, kinds: ['logmel'], settings, copy: 0, ops: [], seed: 0 }, new FeatureCache(null));
    expect(await get(0, 1)).toEqual(Array.from(plain.logmel!.data));
    expect(await get(1, 1)).toEqual(await get(1, 1));
    expect(await get(1, 1)).not.toEqual(await get(2, 1));
    expect(await get(1, 1)).not.toEqual(await get(1, 2));
  });
});

describe('audio front end', () => {
  it('resampling keeps a tone at its frequency and the expected length', async () => {
    const x = Float32Array.from({ length: 48000 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 48000));
    const y = resample(x, 48000, 16000);
    expect(y.length).toBe(16000);
    // Compare with the exact 1 kHz sine at 16 kHz, away from the edges.
    let err = 0;
    for (let i = 1000; i < 15000; i++) err = Math.max(err, Math.abs(y[i] - Math.sin((2 * Math.PI * 1000 * i) / 16000)));
    expect(err).toBeLessThan(2e-3);
  });
  it('waveform augmentation does what it says: pitch, tempo, level, noise at the drawn SNR', async () => {
    const sr = 16000;
    const tone = Float32Array.from({ length: sr }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / sr));
    // The frequency of the strongest component between lo and hi Hz (0.05-Hz steps), middle half.
    const peak = (y: Float32Array, lo: number, hi: number) => {
      let [best, bestF] = [0, 0];
      for (let f = lo; f <= hi; f += 0.05) {
        let [c, s] = [0, 0];
        for (let i = y.length >> 2; i < (3 * y.length) >> 2; i++)
          [c, s] = [c + y[i] * Math.cos((2 * Math.PI * f * i) / sr), s + y[i] * Math.sin((2 * Math.PI * f * i) / sr)];
        if (c * c + s * s > best) [best, bestF] = [c * c + s * s, f];
      }
      return bestF;
    };
    const rms = (y: Float32Array) => Math.sqrt(y.reduce((a, v) => a + v * v, 0) / y.length);
    const rng = new Rng(3);
    for (const semitones of [2, -1.3]) {
      const up = await augmentWaveform(tone, sr, [{ type: 'pitch_shift', value: semitones }], rng);
      expect(up.length).toBe(tone.length);
      expect(Math.abs(peak(up, 380, 520) - 440 * 2 ** (semitones / 12))).toBeLessThan(0.5);
    }
    const fast = await augmentWaveform(tone, sr, [{ type: 'time_stretch', value: 1.25 }], rng);
    expect(fast.length).toBe(Math.round(sr / 1.25));
    expect(Math.abs(peak(fast, 420, 460) - 440)).toBeLessThan(0.5);
    const louder = await augmentWaveform(tone, sr, [{ type: 'gain', value: 6 }], rng);
    expect(rms(louder) / rms(tone)).toBeCloseTo(10 ** (6 / 20), 5);
    const noisy = await augmentWaveform(tone, sr, [{ type: 'noise', value: 10 }], rng);
    const noise = noisy.map((v, i) => v - tone[i]);
    expect(20 * Math.log10(rms(tone) / rms(noise))).toBeCloseTo(10, 0);
  });
  it('pitch-shift factors as small fractions: exact when they can be, the nearest with q ≤ 1000 otherwise', () => {
    expect(fraction(1, 1000)).toEqual([1, 1]);
    expect(fraction(0.75, 1000)).toEqual([3, 4]);
    expect(fraction(Math.PI, 1000)).toEqual([355, 113]);
    for (let v = -4; v <= 4; v += 0.0371) {
      const r = 2 ** (-v / 12);
      const [p, q] = fraction(r, 1000);
      expect(q).toBeLessThanOrEqual(1000);
      expect(Math.abs(p / q - r) / r).toBeLessThan(5.1e-4);
      // No fraction with a denominator ≤ 1000 is closer (checked against every q).
      for (let d = 1; d <= 1000; d += 37) expect(Math.abs(Math.round(r * d) / d - r)).toBeGreaterThanOrEqual(Math.abs(p / q - r) - 1e-15);
    }
  });
  it('trims leading and trailing silence, keeps an all-silent clip, centre-crops and pads', () => {
    const x = new Float32Array(16000);
    for (let i = 6000; i < 10000; i++) x[i] = 0.5 * Math.sin(i / 5);
    const t = trimSilence(x, 40);
    expect(t.length).toBeLessThan(8000);
    expect(t.length).toBeGreaterThanOrEqual(4000);
    expect(trimSilence(new Float32Array(100), 40).length).toBe(100);
    expect(Array.from(fixLength(Float32Array.from([1, 2, 3, 4, 5]), 3))).toEqual([2, 3, 4]);
    expect(Array.from(fixLength(Float32Array.from([1, 2]), 4))).toEqual([0, 1, 2, 0]);
  });
  it('the synthetic generator is deterministic and the bias option records a group worse', () => {
    const base = synthesizeCorpus({ ...DEFAULT_SYNTHETIC, speakersPerCorpus: 2, clipsPerEmotion: 1 });
    const biased = synthesizeCorpus({
      ...DEFAULT_SYNTHETIC,
      speakersPerCorpus: 2,
      clipsPerEmotion: 1,
      bias: { corpus: 'synth-studio', gender: 'male', snrDb: 0 },
    });
    const spec = (c: Clip) => (c.source as { spec: any }).spec;
    expect(Array.from(renderUtterance(spec(base.clips[0])))).toEqual(Array.from(renderUtterance(spec(base.clips[0]))));
    const male = biased.clips.filter((c) => c.corpus === 'synth-studio' && c.gender === 'male');
    expect(male.every((c) => spec(c).condition.snrDb === 0)).toBe(true);
    expect(biased.clips.filter((c) => c.gender === 'female').every((c) => spec(c).condition.snrDb > 10)).toBe(true);
  });
});
