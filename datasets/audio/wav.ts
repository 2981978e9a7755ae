/**
 * WAV (RIFF/WAVE) decoding to mono float32, the way librosa.load(sr=None, mono=True) sees it
 * through libsndfile: integer PCM divided by 2^(bits-1) (8-bit is unsigned, centred at 128),
 * IEEE float as is, channels averaged in float32. AIFF and AIFF-C PCM (big-endian, or 'sowt'
 * little-endian) are read too, whatever the file's extension: the real TESS release ships a few
 * AIFF files named .wav. Headers are checked against what audio uses (rates 1–384 kHz, at most
 * 32 channels), so a damaged header is a clear skip, not a run that trains on noise.
 */
import { openSync, readSync, closeSync, fstatSync, readFileSync } from 'node:fs';
import { pcm16ToFloatWasm } from '../../core/wasm.ts';

export class WavError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'WavError';
  }
}

/** pcm8 is unsigned (WAV), pcm8s signed (AIFF). */
export type SampleFormat = 'pcm8' | 'pcm8s' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64';

export interface WavInfo {
  sampleRate: number;
  channels: number;
  format: SampleFormat;
  frames: number;
  /** Byte offset and length of the sample data inside the file. */
  dataOffset: number;
  dataBytes: number;
  /** AIFF's big-endian samples (WAV and AIFF-C 'sowt' are little-endian). */
  bigEndian?: boolean;
  container?: 'wav' | 'aiff';
}

/** Sample rates and channel counts outside these are a damaged header, not audio. */
export const RATE_BOUNDS: [number, number] = [1000, 384000];
export const MAX_CHANNELS = 32;

function checkBounds(path: string, rate: number, channels: number): void {
  if (!(rate >= RATE_BOUNDS[0] && rate <= RATE_BOUNDS[1]))
    throw new WavError(path, `sample rate ${rate} Hz is outside what audio uses (${RATE_BOUNDS[0]}–${RATE_BOUNDS[1]} Hz): damaged header`);
  if (channels < 1 || channels > MAX_CHANNELS) throw new WavError(path, `${channels} channels is outside what audio uses (1–${MAX_CHANNELS}): damaged header`);
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Parse the chunk structure of a WAV held in `buf` (may be only the file's head). */
export function parseWavHeader(buf: Buffer, fileSize: number, path: string): WavInfo {
  if (fileSize === 0) throw new WavError(path, 'empty file (0 bytes)');
  if (buf.length < 12) throw new WavError(path, `truncated: ${fileSize} bytes is too short for a RIFF header`);
  const riff = buf.toString('latin1', 0, 4);
  if (riff === 'FORM') return parseAiffHeader(buf, fileSize, path);
  if (riff === 'RIFX' || riff === 'RF64') throw new WavError(path, `unsupported container ${riff} (only little-endian RIFF WAVE)`);
  if (riff !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') throw new WavError(path, 'not a WAV file (no RIFF/WAVE header)');
  let pos = 12;
  let fmt: { tag: number; channels: number; rate: number; bits: number } | undefined;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('latin1', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new WavError(path, 'truncated fmt chunk');
      let tag = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const rate = buf.readUInt32LE(body + 4);
      const bits = buf.readUInt16LE(body + 14);
      if (tag === WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40 || body + 26 > buf.length) throw new WavError(path, 'truncated WAVE_FORMAT_EXTENSIBLE fmt chunk');
        tag = buf.readUInt16LE(body + 24); // first two bytes of the sub-format GUID
      }
      fmt = { tag, channels, rate, bits };
    } else if (id === 'data') {
      if (!fmt) throw new WavError(path, 'data chunk before fmt chunk');
      const format = sampleFormat(fmt.tag, fmt.bits, path);
      if (fmt.channels < 1) throw new WavError(path, 'fmt chunk declares 0 channels');
      if (fmt.rate < 1) throw new WavError(path, 'fmt chunk declares sample rate 0');
      checkBounds(path, fmt.rate, fmt.channels);
      const available = fileSize - body;
      // Streaming writers leave 0 or 0xFFFFFFFF as the size: then the data runs to the end of the file.
      const declared = size === 0xffffffff || size === 0 ? available : size;
      if (declared > available) {
        throw new WavError(path, `truncated: data chunk declares ${declared} bytes but the file holds ${available}`);
      }
      const frameBytes = bytesPerSample(format) * fmt.channels;
      const frames = Math.floor(declared / frameBytes);
      if (frames === 0) throw new WavError(path, 'no audio: the data chunk is empty');
      return { sampleRate: fmt.rate, channels: fmt.channels, format, frames, dataOffset: body, dataBytes: frames * frameBytes };
    }
    pos = body + size + (size & 1); // chunks are word-aligned
  }
  throw new WavError(path, fmt ? 'truncated: no data chunk' : 'truncated: no fmt chunk');
}

/** 80-bit IEEE 754 extended (AIFF's sample rate). */
function readExtended(buf: Buffer, o: number): number {
  const exp = buf.readUInt16BE(o) & 0x7fff;
  const sign = buf[o] & 0x80 ? -1 : 1;
  const hi = buf.readUInt32BE(o + 2),
    lo = buf.readUInt32BE(o + 6);
  if (exp === 0 && hi === 0 && lo === 0) return 0;
  return sign * (hi * 2 ** (exp - 16383 - 31) + lo * 2 ** (exp - 16383 - 63));
}

/** AIFF / AIFF-C: FORM container, COMM (format) and SSND (samples) chunks, big-endian sizes. */
function parseAiffHeader(buf: Buffer, fileSize: number, path: string): WavInfo {
  const kind = buf.toString('latin1', 8, 12);
  if (kind !== 'AIFF' && kind !== 'AIFC') throw new WavError(path, `not an audio file (FORM of type ${JSON.stringify(kind)}, not AIFF or AIFC)`);
  let pos = 12;
  let comm: { channels: number; frames: number; bits: number; rate: number; compression: string } | undefined;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('latin1', pos, pos + 4);
    const size = buf.readUInt32BE(pos + 4);
    const body = pos + 8;
    if (id === 'COMM') {
      if (size < 18 || body + 18 > buf.length) throw new WavError(path, 'truncated AIFF COMM chunk');
      const compression = kind === 'AIFC' && size >= 22 ? buf.toString('latin1', body + 18, body + 22) : 'NONE';
      comm = {
        channels: buf.readUInt16BE(body),
        frames: buf.readUInt32BE(body + 2),
        bits: buf.readUInt16BE(body + 6),
        rate: readExtended(buf, body + 8),
        compression,
      };
    } else if (id === 'SSND') {
      if (!comm) throw new WavError(path, 'AIFF SSND chunk before COMM chunk');
      checkBounds(path, comm.rate, comm.channels);
      const c = comm.compression;
      if (c !== 'NONE' && c !== 'sowt' && c !== 'twos')
        throw new WavError(path, `unsupported AIFF-C compression "${c}" (uncompressed PCM, 'NONE', 'twos' or 'sowt', is supported)`);
      const bits = comm.bits;
      if (![8, 16, 24, 32].includes(bits)) throw new WavError(path, `unsupported AIFF sample size ${bits} bits (8/16/24/32-bit PCM is supported)`);
      const format: SampleFormat = bits === 8 ? 'pcm8s' : (`pcm${bits}` as SampleFormat);
      const offset = buf.readUInt32BE(body);
      const dataOffset = body + 8 + offset;
      const frameBytes = (bits / 8) * comm.channels;
      const available = Math.max(0, Math.min(size - 8 - offset, fileSize - dataOffset));
      const frames = Math.min(comm.frames, Math.floor(available / frameBytes));
      if (frames < comm.frames) throw new WavError(path, `truncated: COMM declares ${comm.frames} frames but the file holds ${frames}`);
      if (frames === 0) throw new WavError(path, 'no audio: the SSND chunk is empty');
      return {
        sampleRate: comm.rate,
        channels: comm.channels,
        format,
        frames,
        dataOffset,
        dataBytes: frames * frameBytes,
        bigEndian: c !== 'sowt',
        container: 'aiff',
      };
    }
    pos = body + size + (size & 1);
  }
  throw new WavError(path, comm ? 'truncated: no SSND chunk' : 'truncated: no COMM chunk');
}

function sampleFormat(tag: number, bits: number, path: string): SampleFormat {
  if (tag === WAVE_FORMAT_PCM) {
    if (bits === 8 || bits === 16 || bits === 24 || bits === 32) return `pcm${bits}` as SampleFormat;
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bits === 32 || bits === 64) return `float${bits}` as SampleFormat;
  }
  throw new WavError(path, `unsupported WAV encoding: format tag ${tag}, ${bits} bits (PCM 8/16/24/32 and float 32/64 are supported)`);
}

function bytesPerSample(f: SampleFormat): number {
  return { pcm8: 1, pcm8s: 1, pcm16: 2, pcm24: 3, pcm32: 4, float32: 4, float64: 8 }[f];
}

/** Read only the header (first 64 KiB) of a WAV file. */
export function probeWav(path: string): WavInfo {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 65536));
    readSync(fd, head, 0, head.length, 0);
    return parseWavHeader(head, size, path);
  } finally {
    closeSync(fd);
  }
}

export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: number;
  info: WavInfo;
}

/** Decode a whole WAV file to mono float32 at its native rate. */
export function decodeWavFile(path: string): DecodedAudio {
  const buf = readFileSync(path);
  return decodeWavBuffer(buf, path);
}

export function decodeWavBuffer(buf: Buffer, path: string): DecodedAudio {
  const info = parseWavHeader(buf, buf.length, path);
  const { channels, frames, format, dataOffset } = info;
  // 16-bit PCM, the format of all four corpora, is converted in WebAssembly (little-endian
  // like WAV, whatever the host).
  const out =
    format === 'pcm16' && !info.bigEndian
      ? pcm16ToFloatWasm(buf.subarray(dataOffset, dataOffset + frames * channels * 2), frames, channels)
      : decodeSamples(buf, info);
  // Only float data can hold NaN or infinity.
  if (format === 'float32' || format === 'float64')
    for (let i = 0; i < frames; i++) {
      if (!Number.isFinite(out[i])) throw new WavError(path, `non-finite sample (NaN or infinity) at frame ${i}`);
    }
  return { samples: out, sampleRate: info.sampleRate, info };
}

/** Any supported format and channel count, sample by sample. */
function decodeSamples(buf: Buffer, { channels, frames, format, dataOffset, bigEndian }: WavInfo): Float32Array {
  const out = new Float32Array(frames);
  const read = bigEndian ? bigEndianReader(buf, format) : sampleReader(buf, format);
  const bps = bytesPerSample(format);
  const step = bps * channels;
  if (channels === 1) {
    for (let i = 0; i < frames; i++) out[i] = read(dataOffset + i * step);
  } else {
    // numpy mean over channels of float32 data: float32 sum, then divide.
    const acc = new Float32Array(1);
    for (let i = 0; i < frames; i++) {
      acc[0] = 0;
      const base = dataOffset + i * step;
      for (let c = 0; c < channels; c++) acc[0] += Math.fround(read(base + c * bps));
      out[i] = acc[0] / channels;
    }
  }
  return out;
}

function bigEndianReader(buf: Buffer, format: SampleFormat): (offset: number) => number {
  switch (format) {
    case 'pcm16':
      return (o) => buf.readInt16BE(o) / 32768;
    case 'pcm24':
      return (o) => buf.readIntBE(o, 3) / 8388608;
    case 'pcm32':
      return (o) => buf.readInt32BE(o) / 2147483648;
    default:
      return sampleReader(buf, format);
  }
}

function sampleReader(buf: Buffer, format: SampleFormat): (offset: number) => number {
  switch (format) {
    case 'pcm8':
      return (o) => (buf[o] - 128) / 128;
    case 'pcm8s':
      return (o) => buf.readInt8(o) / 128;
    case 'pcm16':
      return (o) => buf.readInt16LE(o) / 32768;
    case 'pcm24':
      return (o) => buf.readIntLE(o, 3) / 8388608;
    case 'pcm32':
      return (o) => buf.readInt32LE(o) / 2147483648;
    case 'float32':
      return (o) => buf.readFloatLE(o);
    case 'float64':
      return (o) => buf.readDoubleLE(o);
  }
}

/** Encode mono float samples as a 16-bit PCM WAV (used by `serbench synth` and tests). */
export function encodeWavPcm16(samples: Float32Array, sampleRate: number): Buffer {
  const n = samples.length;
  const buf = Buffer.alloc(44 + 2 * n);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + 2 * n, 4);
  buf.write('WAVE', 8, 'latin1');
  buf.write('fmt ', 12, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32767))), 44 + 2 * i);
  }
  return buf;
}
