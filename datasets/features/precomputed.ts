/**
 * Precomputed embeddings: vectors a user made elsewhere (any encoder, any toolkit), imported
 * as a feature kind. Either one NumPy .npy file per clip in a folder — found as
 * `<folder>/<clip id>.npy` (the id is `<corpus>/<file stem>`) or `<folder>/<file stem>.npy` — or
 * one [clips, dim] .npy matrix with an `ids` text file naming its rows (clip ids or file
 * stems), one per line. A [frames, dim] array is pooled by its mean over frames. They cannot
 * follow the waveform augmentations, so training clips have no augmented copies for this kind.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Schema } from '../../core/schema.ts';
import type { CachedArray } from './cache.ts';
import type { Clip } from '../types.ts';
import { clipPath } from '../types.ts';
import { fileHash } from '../../core/file-hash.ts';
import { readUtf8 } from '../text-files.ts';

export interface PrecomputedSettings {
  /** A folder of per-clip .npy files, or one .npy matrix (absolute once the suite is loaded). */
  path: string;
  /** With a matrix: the text file of its row ids. */
  ids?: string;
}

export const PRECOMPUTED_SCHEMA: Schema = {
  type: 'object',
  required: ['path'],
  description: 'the `precomputed` feature kind: embeddings made elsewhere, as NumPy .npy files',
  properties: {
    path: { type: 'string', description: 'a folder of <clip id or file stem>.npy files, or one [clips, dim] .npy matrix; relative to the suite' },
    ids: { type: 'string', description: 'with a matrix: a text file of its row ids (clip id or file stem), one per line' },
  },
};

/** A .npy file's header: dtype, shape and where the data starts. */
function npyHeader(file: string, buf: Buffer): { descr: string; shape: number[]; start: number } {
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a NumPy .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new Error(`${file}: unreadable .npy header ${JSON.stringify(header.trim())}`);
  if (fortran) throw new Error(`${file}: Fortran-ordered array; save it with np.ascontiguousarray`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  return { descr, shape, start: start + headerLen };
}

/** The shape of a .npy file, from its header alone (its first 4 kB). */
export function npyShape(file: string): number[] {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const got = readSync(fd, buf, 0, buf.length, 0);
    return npyHeader(file, buf.subarray(0, got)).shape;
  } finally {
    closeSync(fd);
  }
}

/** A parsed .npy array (little-endian float32 or float64, C order). */
export function readNpy(file: string): { shape: number[]; data: Float32Array } {
  const buf = readFileSync(file);
  const { descr, shape, start } = npyHeader(file, buf);
  const n = shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(start);
  let data: Float32Array;
  if (descr === '<f4') {
    if (body.length < n * 4) throw new Error(`${file}: truncated (${body.length} bytes for ${n} float32)`);
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = body.readFloatLE(i * 4);
  } else if (descr === '<f8') {
    if (body.length < n * 8) throw new Error(`${file}: truncated (${body.length} bytes for ${n} float64)`);
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = body.readDoubleLE(i * 8);
  } else throw new Error(`${file}: dtype ${descr}; expected float32 (<f4) or float64 (<f8)`);
  return { shape, data };
}

/** A matrix and its row index, read once per process (memoized on the files' size and mtime). */
const matrices = new Map<string, { rows: Map<string, number>; dim: number; data: Float32Array; hash: string }>();

function matrix(s: PrecomputedSettings) {
  if (!s.ids) throw new Error(`${s.path}: a .npy matrix needs ids: a text file naming its rows`);
  const memo = [s.path, s.ids].map((f) => `${f}:${statSync(f).size}:${statSync(f).mtimeMs}`).join('|');
  let m = matrices.get(memo);
  if (!m) {
    const { shape, data } = readNpy(s.path);
    if (shape.length !== 2) throw new Error(`${s.path}: shape [${shape}]; a matrix of embeddings is [clips, dim]`);
    const ids = readUtf8(s.ids)
      .split(/\r?\n/)
      .map((l) => l.trim());
    while (ids.length && ids[ids.length - 1] === '') ids.pop();
    if (ids.length !== shape[0]) throw new Error(`${s.ids}: ${ids.length} ids for the ${shape[0]} rows of ${s.path}`);
    const rows = new Map<string, number>();
    ids.forEach((id, i) => {
      if (rows.has(id)) throw new Error(`${s.ids}: line ${i + 1}: id "${id}" repeats line ${rows.get(id)! + 1}`);
      rows.set(id, i);
    });
    const hash = createHash('sha256')
      .update(`${fileHash(s.path)}:${fileHash(s.ids)}`)
      .digest('hex')
      .slice(0, 32);
    m = { rows, dim: shape[1], data, hash };
    matrices.set(memo, m);
  }
  return m;
}

const stem = (clip: Clip) => basename(clipPath(clip), extname(clipPath(clip)));
const isFolder = (s: PrecomputedSettings) => statSync(s.path).isDirectory();

/** The per-clip file of a clip in a folder, or an error naming where it was looked for. */
function clipFile(s: PrecomputedSettings, clip: Clip): string {
  const tried = [join(s.path, `${clip.id}.npy`), join(s.path, `${stem(clip)}.npy`)];
  const found = tried.find((f) => existsSync(f));
  if (!found) throw new Error(`no precomputed embedding for ${clip.id}: looked for ${tried.join(' and ')}`);
  return found;
}

/** The embedding files, hashed: a matrix and its ids, or a folder as the hash of its .npy files' names and contents. */
export function precomputedInputs(s: PrecomputedSettings): { file: string; sha256: string }[] {
  if (!isFolder(s)) {
    const m = matrix(s);
    return [{ file: `${s.path} + ${s.ids}`, sha256: m.hash }];
  }
  const h = createHash('sha256');
  // Every file's dimension, so that vectors of another length are refused before any work (rows would be read misaligned).
  let first: { file: string; dim: number } | null = null;
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path, `${rel}${e.name}/`);
      else if (e.name.endsWith('.npy')) {
        h.update(`${rel}${e.name}\0${fileHash(path)}\0`);
        const shape = npyShape(path);
        if (shape.length < 1 || shape.length > 2) throw new Error(`${path}: shape [${shape}]; expected [dim] or [frames, dim]`);
        const dim = shape[shape.length - 1];
        if (!first) first = { file: path, dim };
        else if (dim !== first.dim)
          throw new Error(`${path}: a ${dim}-dimensional embedding, where ${first.file} has ${first.dim}: every clip's embedding must have the same dimension`);
      }
    }
  };
  walk(s.path, '');
  return [{ file: s.path, sha256: h.digest('hex').slice(0, 32) }];
}

/** What the cache key must hold: the content of the clip's embedding (file or matrix). */
export function precomputedIdentity(s: PrecomputedSettings, clip: Clip): string {
  if (!isFolder(s)) return matrix(s).hash;
  return fileHash(clipFile(s, clip));
}

/** The clip's embedding: its vector, or its [frames, dim] array's mean over frames. */
export function precomputedEmbedding(s: PrecomputedSettings, clip: Clip): CachedArray {
  if (!isFolder(s)) {
    const m = matrix(s);
    const row = m.rows.get(clip.id) ?? m.rows.get(stem(clip));
    if (row === undefined) throw new Error(`no precomputed embedding for ${clip.id}: neither it nor ${stem(clip)} is in ${s.ids}`);
    return { shape: [m.dim], data: m.data.slice(row * m.dim, (row + 1) * m.dim) };
  }
  const f = clipFile(s, clip);
  const { shape, data } = readNpy(f);
  if (shape.length === 1) return { shape, data };
  if (shape.length !== 2 || shape[0] === 0) throw new Error(`${f}: shape [${shape}]; expected [dim] or [frames, dim]`);
  const [frames, dim] = shape;
  const mean = new Float32Array(dim);
  for (let k = 0; k < dim; k++) {
    let a = 0;
    for (let t = 0; t < frames; t++) a += data[t * dim + k];
    mean[k] = a / frames;
  }
  return { shape: [dim], data: mean };
}
