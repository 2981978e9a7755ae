/**
 * One contract for every model family, after scikit-learn's estimator API: fit on a training
 * batch (with an optional validation batch for early stopping or model selection), then
 * predictProba returns n × k class probabilities whose rows sum to 1.
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
}

export interface EpochLog {
  epoch: number;
  loss: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Unweighted average recall on validation (the selection metric under monitor: uar). */
  valUar?: number;
  /** The learning rate of the epoch (it changes under lr_schedule: cosine). */
  lr?: number;
}

export interface FitReport {
  seconds: number;
  parameters: number;
  epochs?: number;
  /** Epoch whose weights were kept (early stopping). */
  bestEpoch?: number;
  history?: EpochLog[];
  backend?: string;
  /** What the fit chose or noticed (grid search winner, divergence, …). */
  notes: string[];
}

export interface FitOptions {
  seed: number;
  /** Called after every epoch (progress display). */
  onEpoch?: (log: EpochLog) => void;
  /**
   * Cores this fit may use (default 1). The CNN and ViT then train as a team of threads over
   * each batch (models/training-team.ts); other models use one.
   */
  threads?: number;
  /**
   * Cores the fit may use from now on, asked between epochs: a job process is given the cores of
   * the run's job processes that ran out of jobs (harness/run.ts). The CNN and ViT then go on
   * with a larger team; default: `threads` throughout.
   */
  cores?: () => number;
}

export interface Classifier {
  readonly family: string;
  readonly k: number;
  fit(train: Batch, val: Batch | undefined, opts: FitOptions): Promise<FitReport>;
  predictProba(x: Batch): Promise<Float32Array>;
  /** Everything needed to rebuild the fitted model with `loadClassifier`. */
  toJSON(): Promise<SerializedModel>;
}

export interface SerializedModel {
  family: string;
  k: number;
  [key: string]: unknown;
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

/** Balanced class weights n / (k · n_c), as scikit-learn's class_weight='balanced'. */
export function balancedWeights(y: Int32Array, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (const c of y) counts[c]++;
  return counts.map((c) => (c > 0 ? y.length / (k * c) : 0));
}

/** Check the contract's promise before returning: finite, non-negative rows summing to 1. */
export function checkProbabilities(p: Float32Array, n: number, k: number, family: string): Float32Array {
  if (p.length !== n * k) throw new Error(`${family}: predictProba returned ${p.length} values for ${n}×${k}`);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) {
      const v = p[i * k + j];
      if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`${family}: invalid probability ${v} (row ${i})`);
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) throw new Error(`${family}: probabilities of row ${i} sum to ${s}`);
  }
  return p;
}
