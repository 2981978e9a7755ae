/**
 * The Batch contract between the feature store and the models: n samples of one shape, in memory
 * or read on demand from the feature cache, with their class indices when known.
 */

/**
 * Samples read on demand: a training set of images (tens of thousands × 48 KB, several GB)
 * is read from the feature cache a chunk at a time instead of being held in memory.
 */
export interface SampleReader {
  /** Copy samples rows[0], rows[1], … into `out` (sample j at j·d). */
  read(rows: ArrayLike<number>, out: Float32Array): void;
}

/** n samples of one shape, row-major; y holds class indices 0..k−1 when known. */
export interface Batch {
  n: number;
  /** Shape of one sample: [d] for vectors, [height, width] for images. */
  sampleShape: number[];
  x: Float32Array | SampleReader;
  y?: Int32Array;
  /** Each sample's clip id, where the store knows it (a model that brings its own outputs looks its rows up by them). */
  ids?: string[];
}

export function sampleSize(b: Pick<Batch, 'sampleShape'>): number {
  return b.sampleShape.reduce((a, s) => a * s, 1);
}

/** Samples rows[0], rows[1], … of b, in one array. */
export function gather(b: Batch, rows: ArrayLike<number>): Float32Array {
  const d = sampleSize(b);
  const out = new Float32Array(rows.length * d);
  if (b.x instanceof Float32Array) for (let j = 0; j < rows.length; j++) out.set(b.x.subarray(rows[j] * d, (rows[j] + 1) * d), j * d);
  else b.x.read(rows, out);
  return out;
}

/** Every sample of b in one array (for vector features, which are small). */
export function allSamples(b: Batch): Float32Array {
  return b.x instanceof Float32Array
    ? b.x
    : gather(
        b,
        Array.from({ length: b.n }, (_, i) => i),
      );
}

/** Consecutive index ranges [start, end) of at most `size` samples covering 0..n−1. */
export function* chunks(n: number, size: number): Generator<number[]> {
  for (let start = 0; start < n; start += size) yield Array.from({ length: Math.min(size, n - start) }, (_, j) => start + j);
}
