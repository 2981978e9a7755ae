/** The PNG encoder: a valid file (signature, chunk CRCs) that zlib inflates back to the pixels. */
import { describe, it, expect } from 'vitest';
import { inflateSync } from 'node:zlib';
import { encodePng, crc32, magma, spectrogramPng } from '../reports/png.ts';

describe('PNG', () => {
  it('CRC-32 of "123456789" is CBF43926 (the standard check value)', () => {
    expect(crc32(Buffer.from('123456789')).toString(16)).toBe('cbf43926');
  });
  it('encodes RGB rows that decode back, with valid chunk CRCs', () => {
    const w = 5,
      h = 3;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
    const png = encodePng(w, h, rgb);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    let pos = 8;
    const chunks: Record<string, Buffer> = {};
    while (pos < png.length) {
      const len = png.readUInt32BE(pos);
      const type = png.toString('latin1', pos + 4, pos + 8);
      const data = png.subarray(pos + 8, pos + 8 + len);
      expect(png.readUInt32BE(pos + 8 + len), `${type} CRC`).toBe(crc32(png.subarray(pos + 4, pos + 8 + len)));
      chunks[type] = data;
      pos += 12 + len;
    }
    expect(chunks.IHDR.readUInt32BE(0)).toBe(w);
    expect(chunks.IHDR.readUInt32BE(4)).toBe(h);
    const raw = inflateSync(chunks.IDAT);
    for (let y = 0; y < h; y++) {
      expect(raw[y * (1 + 3 * w)]).toBe(0); // filter: none
      expect([...raw.subarray(y * (1 + 3 * w) + 1, (y + 1) * (1 + 3 * w))]).toEqual([...rgb.subarray(y * 3 * w, (y + 1) * 3 * w)]);
    }
  });
  it('a spectrogram puts band 0 (lowest frequency) at the bottom, coloured by magma over [lo, hi]', () => {
    // 2 bands × 1 frame: band 0 at −80 dB (dark), band 1 at 0 dB (light).
    const png = spectrogramPng([-80, 0], 2, 1, -80, 0);
    const idat = png.subarray(png.indexOf(Buffer.from('IDAT')) + 4);
    const raw = inflateSync(idat.subarray(0, png.readUInt32BE(png.indexOf(Buffer.from('IDAT')) - 4)));
    expect([...raw.subarray(1, 4)]).toEqual(magma(1)); // top row: band 1
    expect([...raw.subarray(5, 8)]).toEqual(magma(0)); // bottom row: band 0
  });
});
