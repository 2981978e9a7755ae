/** Per-feature standardization, fitted on the training split only and applied to the rest. */
export class Standardizer {
  private constructor(
    readonly mean: Float64Array,
    readonly scale: Float64Array,
  ) {}

  /** Fit on n rows of d values; a constant feature gets scale 1 (it becomes 0 everywhere). */
  static fit(x: Float32Array, n: number, d: number): Standardizer {
    const mean = new Float64Array(d);
    const sq = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) mean[f] += x[i * d + f];
    for (let f = 0; f < d; f++) mean[f] /= Math.max(1, n);
    for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) sq[f] += (x[i * d + f] - mean[f]) ** 2;
    const scale = sq.map((s) => {
      const sd = Math.sqrt(s / Math.max(1, n));
      return sd > 1e-12 ? sd : 1;
    });
    return new Standardizer(mean, scale);
  }

  transform(x: Float32Array): Float32Array {
    const d = this.mean.length;
    const out = new Float32Array(x.length);
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
