import { describe, it, expect } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORPORA_SAMPLE, haveShared } from './paths.ts';
import { decodeWavBuffer, decodeWavFile, WavError } from '../datasets/audio/wav.ts';

/** Build a WAV: fmt tag/bits/channels, optional extra chunks, raw sample bytes. */
function wav(opts: { tag: number; bits: number; channels: number; rate?: number; data: Buffer; extensible?: boolean; before?: [string, Buffer][] }): Buffer {
  const rate = opts.rate ?? 16000;
  const block = (opts.bits / 8) * opts.channels;
  const fmt = Buffer.alloc(opts.extensible ? 40 : 16);
  fmt.writeUInt16LE(opts.extensible ? 0xfffe : opts.tag, 0);
  fmt.writeUInt16LE(opts.channels, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE(rate * block, 8);
  fmt.writeUInt16LE(block, 12);
  fmt.writeUInt16LE(opts.bits, 14);
  if (opts.extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(opts.bits, 18);
    fmt.writeUInt32LE(opts.channels === 1 ? 4 : 3, 20);
    fmt.writeUInt16LE(opts.tag, 24); // sub-format GUID starts with the format tag
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(fmt, 26);
  }
  const chunk = (id: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32LE(body.length, 4);
    return Buffer.concat([h, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), ...(opts.before ?? []).map(([id, b]) => chunk(id, b)), chunk('data', opts.data)]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

const values = [0, 0.5, -0.5, 0.25, -1];
describe('WAV decoding (libsndfile scaling)', () => {
  it('PCM 8-bit unsigned', () => {
    const d = Buffer.from(values.map((v) => Math.round(v * 128) + 128).map((v) => Math.min(255, v)));
    expect(Array.from(decodeWavBuffer(wav({ tag: 1, bits: 8, channels: 1, data: d }), 'x').samples)).toEqual([0, 0.5, -0.5, 0.25, -1]);
  });
  it('PCM 16, 24 and 32-bit', () => {
    for (const bits of [16, 24, 32]) {
      const d = Buffer.alloc(values.length * (bits / 8));
      values.forEach((v, i) => d.writeIntLE(Math.round(v * 2 ** (bits - 1)), i * (bits / 8), bits / 8));
      expect(Array.from(decodeWavBuffer(wav({ tag: 1, bits, channels: 1, data: d }), 'x').samples)).toEqual(values);
    }
  });
  it('mono 16-bit PCM (converted in WebAssembly, eight at a time) is every int16 ÷ 32768, odd lengths too', () => {
    for (const n of [1, 7, 8, 9, 65536 + 13]) {
      const ints = Int16Array.from({ length: n }, (_, i) => (i === 0 ? -32768 : i === 1 ? 32767 : ((i * 7919) % 65536) - 32768));
      const d = Buffer.from(ints.buffer);
      // An odd offset inside the file's buffer too: the data need not be 2-byte aligned.
      const file = wav({ tag: 1, bits: 16, channels: 1, data: d });
      const shifted = Buffer.concat([Buffer.alloc(1), file]).subarray(1);
      for (const b of [file, shifted]) expect(decodeWavBuffer(b, 'x').samples).toEqual(Float32Array.from(ints, (v) => v / 32768));
    }
  });
  it('multichannel 16-bit PCM is the float32 mean of its channels (numpy: float32 sum, then divide)', () => {
    for (const channels of [2, 3, 6]) {
      const frames = 1001;
      const ints = Int16Array.from({ length: frames * channels }, (_, i) => ((i * 7919 + 13) % 65536) - 32768);
      const expected = Float32Array.from({ length: frames }, (_, i) => {
        let acc = 0;
        for (let c = 0; c < channels; c++) acc = Math.fround(acc + ints[i * channels + c] / 32768);
        return acc / channels;
      });
      expect(decodeWavBuffer(wav({ tag: 1, bits: 16, channels, data: Buffer.from(ints.buffer) }), 'x').samples).toEqual(expected);
    }
  });
  it('float 32 and 64, with fact, PEAK and LIST chunks before data, and odd-sized chunks', () => {
    const f32 = Buffer.alloc(20);
    values.forEach((v, i) => f32.writeFloatLE(v, i * 4));
    const extra: [string, Buffer][] = [
      ['fact', Buffer.alloc(4)],
      ['PEAK', Buffer.alloc(16)],
      ['LIST', Buffer.from('INFOabc')],
    ];
    expect(Array.from(decodeWavBuffer(wav({ tag: 3, bits: 32, channels: 1, data: f32, before: extra }), 'x').samples)).toEqual(values);
    const f64 = Buffer.alloc(40);
    values.forEach((v, i) => f64.writeDoubleLE(v, i * 8));
    expect(Array.from(decodeWavBuffer(wav({ tag: 3, bits: 64, channels: 1, data: f64 }), 'x').samples)).toEqual(values);
  });
  it('WAVE_FORMAT_EXTENSIBLE (PCM and float sub-formats)', () => {
    const d = Buffer.alloc(10);
    values.forEach((v, i) => d.writeInt16LE(Math.round(v * 32767), i * 2));
    expect(decodeWavBuffer(wav({ tag: 1, bits: 16, channels: 1, data: d, extensible: true }), 'x').info.format).toBe('pcm16');
    const f = Buffer.alloc(20);
    values.forEach((v, i) => f.writeFloatLE(v, i * 4));
    expect(Array.from(decodeWavBuffer(wav({ tag: 3, bits: 32, channels: 1, data: f, extensible: true }), 'x').samples)).toEqual(values);
  });
  it('stereo is averaged to mono, (L + R) / 2', () => {
    const d = Buffer.alloc(8);
    d.writeInt16LE(16384, 0);
    d.writeInt16LE(0, 2);
    d.writeInt16LE(-16384, 4);
    d.writeInt16LE(-16384, 6);
    expect(Array.from(decodeWavBuffer(wav({ tag: 1, bits: 16, channels: 2, data: d }), 'x').samples)).toEqual([0.25, -0.5]);
  });
  it('unsupported encodings, NaN samples and truncation name the file and the problem', () => {
    const bad = (b: Buffer) => () => decodeWavBuffer(b, 'clip.wav');
    expect(bad(wav({ tag: 2, bits: 4, channels: 1, data: Buffer.alloc(4) }))).toThrow(/clip\.wav: unsupported WAV encoding: format tag 2, 4 bits/);
    expect(bad(wav({ tag: 1, bits: 12, channels: 1, data: Buffer.alloc(4) }))).toThrow(/format tag 1, 12 bits/);
    const nan = Buffer.alloc(8);
    nan.writeFloatLE(0.1, 0);
    nan.writeFloatLE(NaN, 4);
    expect(bad(wav({ tag: 3, bits: 32, channels: 1, data: nan }))).toThrow(/clip\.wav: non-finite sample \(NaN or infinity\) at frame 1/);
    expect(bad(wav({ tag: 1, bits: 16, channels: 1, data: Buffer.alloc(0) }))).toThrow(/no audio: the data chunk is empty/);
    const full = wav({ tag: 1, bits: 16, channels: 1, data: Buffer.alloc(100) });
    expect(bad(full.subarray(0, 60))).toThrow(/truncated: data chunk declares 100 bytes but the file holds 16/);
    expect(bad(Buffer.alloc(0))).toThrow(WavError);
  });
});

const SAMPLE = haveShared('decoding every clip of the real sample', 'corpora-sample');

describe.skipIf(!SAMPLE)('every clip in shared/corpora-sample decodes', () => {
  const files: string[] = [];
  const walk = (d: string) =>
    readdirSync(d).forEach((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.wav') && files.push(join(d, f))));
  if (SAMPLE) walk(CORPORA_SAMPLE);
  it('384 WAV files, each with audio in [-1, 1] at its corpus rate', () => {
    expect(files.length).toBe(384);
    const rates: Record<string, number> = { ravdess: 48000, tess: 24414, 'crema-d': 16000, savee: 44100 };
    let stereo = 0;
    for (const f of files) {
      const { samples, sampleRate, info } = decodeWavFile(f);
      const corpus = f.split('/').find((p) => p in rates)!;
      expect(sampleRate, f).toBe(rates[corpus]);
      expect(samples.length, f).toBeGreaterThan(sampleRate); // every clip is over a second long
      let peak = 0;
      for (const v of samples) peak = Math.max(peak, Math.abs(v));
      expect(peak, f).toBeLessThanOrEqual(1);
      expect(peak, f).toBeGreaterThan(0.001);
      if (info.channels === 2) stereo++;
    }
    expect(stereo).toBe(2); // the two stereo RAVDESS files of actor 01
  });
});

/** An AIFF (or AIFF-C) file of 16-bit PCM: big-endian, or 'sowt' little-endian. */
function aiff(samples: Int16Array, rate: number, channels: number, kind: 'AIFF' | 'AIFC-NONE' | 'AIFC-sowt'): Buffer {
  const frames = samples.length / channels;
  const aifc = kind !== 'AIFF';
  const comm = Buffer.alloc(aifc ? 24 : 18);
  comm.writeUInt16BE(channels, 0);
  comm.writeUInt32BE(frames, 2);
  comm.writeUInt16BE(16, 6);
  // 80-bit extended sample rate: exponent and a 64-bit mantissa with the integer bit set.
  const exp = Math.floor(Math.log2(rate));
  comm.writeUInt16BE(16383 + exp, 8);
  comm.writeUInt32BE(Math.round(rate * 2 ** (31 - exp)) >>> 0, 10);
  comm.writeUInt32BE(0, 14);
  if (aifc) comm.write(kind === 'AIFC-sowt' ? 'sowt' : 'NONE', 18, 'latin1');
  const data = Buffer.alloc(8 + 2 * samples.length);
  samples.forEach((v, i) => (kind === 'AIFC-sowt' ? data.writeInt16LE(v, 8 + 2 * i) : data.writeInt16BE(v, 8 + 2 * i)));
  const chunk = (id: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32BE(body.length, 4);
    return Buffer.concat([h, body]);
  };
  const body = Buffer.concat([Buffer.from(aifc ? 'AIFC' : 'AIFF', 'latin1'), chunk('COMM', comm), chunk('SSND', data)]);
  const head = Buffer.alloc(8);
  head.write('FORM', 0, 'latin1');
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('AIFF and AIFF-C named .wav, as in the real TESS release', () => {
  // A real TESS clip where the sample is here, else a tone at TESS's rate.
  const real = SAMPLE
    ? decodeWavFile(join(CORPORA_SAMPLE, 'tess', 'OAF_back_angry.wav'))
    : { samples: Float32Array.from({ length: 4000 }, (_, i) => (Math.round(8000 * Math.sin(i / 7)) || 0) / 32768), sampleRate: 24414 };
  const ints = Int16Array.from(real.samples, (v) => Math.round(v * 32768));
  it.each(['AIFF', 'AIFC-NONE', 'AIFC-sowt'] as const)('%s 16-bit PCM decodes to the same samples as the WAV', (kind) => {
    const d = decodeWavBuffer(aiff(ints, real.sampleRate, 1, kind), 'OAF_back_angry.wav');
    expect(d.sampleRate).toBe(real.sampleRate);
    expect(d.samples).toEqual(real.samples);
  });
  it('stereo AIFF is averaged to mono like stereo WAV', () => {
    const stereo = new Int16Array([1000, 3000, -2000, 0]);
    expect(Array.from(decodeWavBuffer(aiff(stereo, 16000, 2, 'AIFF'), 'x.wav').samples)).toEqual([2000 / 32768, -1000 / 32768].map(Math.fround));
  });
});

describe('header sanity bounds', () => {
  it('a sample rate or channel count outside what audio uses is a damaged header, named with the reason', () => {
    const data = Buffer.alloc(64);
    expect(() => decodeWavBuffer(wav({ tag: 1, bits: 16, channels: 1, rate: 7, data }), 'low.wav')).toThrow(
      /low\.wav: sample rate 7 Hz is outside what audio uses/,
    );
    expect(() => decodeWavBuffer(wav({ tag: 1, bits: 16, channels: 1, rate: 5_000_000, data }), 'high.wav')).toThrow(/sample rate 5000000 Hz/);
    expect(() => decodeWavBuffer(wav({ tag: 1, bits: 16, channels: 64, data: Buffer.alloc(256) }), 'many.wav')).toThrow(/64 channels is outside/);
    expect(() => decodeWavBuffer(aiff(new Int16Array(8), 50, 1, 'AIFF'), 'a.wav')).toThrow(/sample rate 50 Hz/);
  });
});
