/**
 * Content-addressed feature cache on disk. The key is a hash of the source content and every
 * parameter that changes the output; entries are written to a temporary file and renamed into
 * place, so concurrent runs sharing the folder never read a half-written entry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CachedArray {
  shape: number[];
  data: Float32Array;
}

export class FeatureCache {
  hits = 0;
  misses = 0;
  constructor(readonly dir: string | null) {}

  static key(parts: unknown): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  private file(key: string): string {
    return join(this.dir!, key.slice(0, 2), `${key}.f32`);
  }

  /** Whether an entry exists (without reading it). */
  has(key: string): boolean {
    return this.dir !== null && existsSync(this.file(key));
  }

  /** Whether entries are kept at all (a cache without a folder only counts misses). */
  get enabled(): boolean {
    return this.dir !== null;
  }

  get(key: string): CachedArray | undefined {
    if (!this.dir) return undefined;
    const path = this.file(key);
    if (!existsSync(path)) return undefined;
    try {
      const buf = readFileSync(path);
      const headerLen = buf.readUInt32LE(0);
      const shape = JSON.parse(buf.toString('utf8', 4, 4 + headerLen)) as number[];
      const start = 4 + headerLen;
      const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
      if (data.length !== shape.reduce((a, b) => a * b, 1)) return undefined; // damaged entry: recompute
      this.hits++;
      return { shape, data };
    } catch {
      return undefined;
    }
  }

  put(key: string, value: CachedArray): void {
    this.misses++;
    if (!this.dir) return;
    const path = this.file(key);
    mkdirSync(join(this.dir, key.slice(0, 2)), { recursive: true });
    const header = Buffer.from(JSON.stringify(value.shape), 'utf8');
    // Header length is padded so that the float data starts 4-byte aligned.
    const pad = (4 - ((4 + header.length) % 4)) % 4;
    const head = Buffer.alloc(4 + header.length + pad, 0x20);
    head.writeUInt32LE(header.length + pad, 0);
    header.copy(head, 4);
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, Buffer.concat([head, Buffer.from(value.data.buffer, value.data.byteOffset, value.data.byteLength)]));
    renameSync(tmp, path);
  }
}
