/**
 * The content hash of a file a feature kind reads besides the clips (an encoder, embedding
 * files): sha256, first 32 hex digits, read in 1 MB pieces and memoized on path, size and
 * mtime. Cache keys are computed several times per clip and job; the file is read once.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const hashes = new Map<string, string>();

export function fileHash(path: string): string {
  const st = statSync(path);
  const memo = `${path}:${st.size}:${st.mtimeMs}`;
  let id = hashes.get(memo);
  if (!id) {
    const h = createHash('sha256');
    const buf = Buffer.alloc(Math.min(1 << 20, Math.max(1, st.size)));
    const fd = openSync(path, 'r');
    try {
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    id = h.digest('hex').slice(0, 32);
    hashes.set(memo, id);
  }
  return id;
}
