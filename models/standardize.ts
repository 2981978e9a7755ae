import { chunks, gather, sampleSize, type Batch } from '../core/batch.ts';

/** Per-feature standardization, fitted on the training split only and applied to the rest. */
export class Standardizer {
  private constructor(
    readonly mean: Float64Array,
    readonly scale: Float64Array,
  ) {}

  /**
   * Fit on the batch's samples; a constant feature gets scale 1 (it becomes 0 everywhere).
   * Two passes (mean, then squared deviations) over chunks, so a batch read on demand is never
   * held whole.
   */
  static fit(b: Batch): Standardizer {
    const d = sampleSize(b),
      n = b.n;
    const mean = new Float64Array(d);
    const sq = new Float64Array(d);
    const pass = (add: (x: Float32Array, rows: number) => void) => {
      for (const rows of chunks(n, Math.max(1, Math.floor(2 ** 24 / d)))) add(gather(b, rows), rows.length);
    };
    pass((x, m) => {
      for (let i = 0; i < m; i++) for (let f = 0; f < d; f++) mean[f] += x[i * d + f];
    });
    for (let f = 0; f < d; f++) mean[f] /= Math.max(1, n);
    pass((x, m) => {
      for (let i = 0; i < m; i++) for (let f = 0; f < d; f++) sq[f] += (x[i * d + f] - mean[f]) ** 2;
    });
    const scale = sq.map((s) => {
      const sd = Math.sqrt(s / Math.max(1, n));
      return sd > 1e-12 ? sd : 1;
    });
    return new Standardizer(mean, scale);
  }

  /** Standardized copy of x (rows of d values); pass `out = x` to standardize in place. */
  transform(x: Float32Array, out: Float32Array = new Float32Array(x.length)): Float32Array {
    const d = this.mean.length;
    for (let i = 0; i < x.length; i++) out[i] = (x[i] - this.mean[i % d]) / this.scale[i % d];
    return out;
  }

  toJSON(): { mean: number[]; scale: number[] } {
    return { mean: Array.from(this.mean), scale: Array.from(this.scale) };
  }

  static fromJSON(j: { mean: number[]; scale: number[] }): Standardizer {
    return new Standardizer(Float64Array.from(j.mean), Float64Array.from(j.scale));
  }
}
