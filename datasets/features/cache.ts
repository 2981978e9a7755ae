/**
 * Content-addressed feature cache on disk. The key is a hash of the source content and every
 * parameter that changes the output; entries are written to a temporary file and renamed into
 * place, so concurrent runs sharing the folder never read a half-written entry. Each entry
 * carries a checksum of its floats, verified on every read: a damaged entry (flipped bytes, a
 * truncated file) is never used; it reads as absent, is counted, and gets recomputed.
 *
 * Entry layout: u32 header length, JSON header {"shape": [...], "sha256": <first 32 hex of the
 * data's sha256>} padded to 4 bytes, then the float32 data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CachedArray {
  shape: number[];
  data: Float32Array;
}

const checksum = (data: Uint8Array) => createHash('sha256').update(data).digest('hex').slice(0, 32);

export class FeatureCache {
  hits = 0;
  misses = 0;
  /** Entries found damaged (checksum, length or header wrong): read as absent and recomputed. */
  corrupt = 0;
  constructor(readonly dir: string | null) {}

  static key(parts: unknown): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  private file(key: string): string {
    return join(this.dir!, key.slice(0, 2), `${key}.f32`);
  }

  /** Whether entries are kept at all (a cache without a folder only counts misses). */
  get enabled(): boolean {
    return this.dir !== null;
  }

  get(key: string): CachedArray | undefined {
    const value = this.read(key);
    if (value) this.hits++;
    return value;
  }

  /** Whether an entry exists and is intact (read and checksummed, not counted as a hit). */
  verify(key: string): boolean {
    return this.read(key) !== undefined;
  }

  private read(key: string): CachedArray | undefined {
    if (!this.dir) return undefined;
    const path = this.file(key);
    if (!existsSync(path)) return undefined;
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch {
      return undefined;
    }
    try {
      const headerLen = buf.readUInt32LE(0);
      const header = JSON.parse(buf.toString('utf8', 4, 4 + headerLen)) as { shape: number[]; sha256: string };
      const start = 4 + headerLen;
      const bytes = buf.subarray(start);
      if (!Array.isArray(header.shape) || bytes.length !== 4 * header.shape.reduce((a, b) => a * b, 1) || checksum(bytes) !== header.sha256) {
        this.corrupt++;
        return undefined;
      }
      const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
      return { shape: header.shape, data };
    } catch {
      this.corrupt++;
      return undefined;
    }
  }

  put(key: string, value: CachedArray): void {
    this.misses++;
    if (!this.dir) return;
    const path = this.file(key);
    mkdirSync(join(this.dir, key.slice(0, 2)), { recursive: true });
    const bytes = new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength);
    const header = Buffer.from(JSON.stringify({ shape: value.shape, sha256: checksum(bytes) }), 'utf8');
    // Header length is padded so that the float data starts 4-byte aligned.
    const pad = (4 - ((4 + header.length) % 4)) % 4;
    const head = Buffer.alloc(4 + header.length + pad, 0x20);
    head.writeUInt32LE(header.length + pad, 0);
    header.copy(head, 4);
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, Buffer.concat([head, bytes]));
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true }); // a full disk leaves no temporary behind
      throw new Error(`cannot write feature cache entry ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}
