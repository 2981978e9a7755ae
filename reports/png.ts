/**
 * PNG encoding for the report's pictures (spectrograms): 8-bit RGB, no filter, zlib from Node,
 * CRC-32 by table. A spectrogram as a PNG is a few kilobytes; as SVG rects it was megabytes.
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** width × height RGB pixels (row-major, top row first) as a PNG file. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  if (rgb.length !== width * height * 3) throw new Error(`encodePng: ${rgb.length} bytes for ${width}×${height} RGB`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const raw = Buffer.alloc(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) Buffer.from(rgb.buffer, rgb.byteOffset + y * 3 * width, 3 * width).copy(raw, y * (1 + 3 * width) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** matplotlib's magma at nine points, interpolated linearly (the charts' colour scheme). */
const MAGMA: [number, number, number][] = [
  [0, 0, 4],
  [28, 16, 68],
  [79, 18, 123],
  [129, 37, 129],
  [181, 54, 122],
  [229, 80, 100],
  [251, 135, 97],
  [254, 194, 135],
  [252, 253, 191],
];

export function magma(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (MAGMA.length - 1);
  const i = Math.min(MAGMA.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(MAGMA[i][c] + f * (MAGMA[i + 1][c] - MAGMA[i][c]))) as [number, number, number];
}

/** A bands × frames image (band 0 = lowest frequency) as a PNG with low frequencies at the bottom, coloured over [lo, hi]. */
export function spectrogramPng(image: ArrayLike<number>, bands: number, frames: number, lo: number, hi: number): Buffer {
  const rgb = new Uint8Array(bands * frames * 3);
  for (let b = 0; b < bands; b++)
    for (let t = 0; t < frames; t++) {
      const [r, g, bl] = magma((image[b * frames + t] - lo) / (hi - lo || 1));
      const o = ((bands - 1 - b) * frames + t) * 3;
      ((rgb[o] = r), (rgb[o + 1] = g), (rgb[o + 2] = bl));
    }
  return encodePng(frames, bands, rgb);
}
