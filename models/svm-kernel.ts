/**
 * The SVM's kernel values, computed as libsvm 3.22 computes them so that models come out the
 * same: every dot product and squared distance summed feature by feature in order, in double.
 *
 * - Training (libsvm's Kernel class): RBF K(a, b) = exp(−γ(‖a‖² + ‖b‖² − 2 a·b)), linear a·b,
 *   used as float32. When the whole Gram matrix fits the memory budget it is computed once per
 *   fit and shared by every one-vs-one pair and every probability fold, which libsvm computes
 *   again for each of them; otherwise columns are computed as the solver asks (libsvm's way).
 * - Prediction (libsvm's k_function): RBF exp(−γ Σ (x_k − s_k)²), linear x·s, in double.
 *
 * Several independent sums run side by side, one per column (eight in wasm SIMD lanes,
 * core/kernels/svm.ts; four in the JavaScript fallback for columns on demand): each still
 * adds its features in order, so the result is libsvm's to the bit.
 */
import { kernelSumsWasm } from '../core/wasm.ts';
import type { TrainingKernel } from './libsvm-solver.ts';

export type KernelType = 'rbf' | 'linear';

/** Bytes the Gram matrix (float32, n × n) may take before columns are computed on demand. */
export const GRAM_BUDGET_BYTES = 512 * 2 ** 20;

/** out[j] = a·b_j for rows b_j = rows[j] (j in [from, to)) of x (n × d, row-major). */
function dots(x: Float64Array, d: number, a: number, rows: ArrayLike<number>, from: number, to: number, out: Float64Array): void {
  const ao = a * d;
  let j = from;
  for (; j + 3 < to; j += 4) {
    const o0 = rows[j] * d,
      o1 = rows[j + 1] * d,
      o2 = rows[j + 2] * d,
      o3 = rows[j + 3] * d;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    for (let k = 0; k < d; k++) {
      const v = x[ao + k];
      s0 += v * x[o0 + k];
      s1 += v * x[o1 + k];
      s2 += v * x[o2 + k];
      s3 += v * x[o3 + k];
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
  }
  for (; j < to; j++) {
    const o = rows[j] * d;
    let s = 0;
    for (let k = 0; k < d; k++) s += x[ao + k] * x[o + k];
    out[j] = s;
  }
}

/** The training rows' kernel (libsvm's Kernel class), with the Gram matrix when it fits. */
export class GramKernel implements TrainingKernel {
  private readonly xsq: Float64Array;
  private readonly gram: Float32Array | null;
  /** Dot products of the column being filled, when there is no Gram matrix. */
  private readonly scratch: Float64Array;

  constructor(
    private readonly x: Float64Array,
    private readonly n: number,
    private readonly d: number,
    readonly type: KernelType,
    readonly gamma: number,
    readonly budgetBytes = GRAM_BUDGET_BYTES,
  ) {
    this.xsq = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[i * d + k] * x[i * d + k];
      this.xsq[i] = s;
    }
    this.gram = GramKernel.fits(n, budgetBytes) ? this.fullGram() : null;
    this.scratch = new Float64Array(this.gram ? 0 : n);
  }

  /** Whether the Gram matrix of n rows fits the budget. */
  static fits(n: number, budgetBytes: number): boolean {
    return n * n * 4 <= budgetBytes;
  }

  /** True when every value is read from the Gram matrix. */
  get hasGram(): boolean {
    return this.gram !== null;
  }

  /** K(a, b) from the dot product a·b. */
  private value(a: number, b: number, dot: number): number {
    return this.type === 'rbf' ? Math.exp(-this.gamma * (this.xsq[a] + this.xsq[b] - 2 * dot)) : dot;
  }

  private fullGram(): Float32Array {
    const { n, d } = this;
    const g = new Float32Array(n * n);
    // Row a from column a on; the rest is the transpose (a·b = b·a to the bit).
    kernelSumsWasm('dot', this.x, n, transpose(this.x, n, d), n, d, true, (first, rows, sums) => {
      for (let r = 0; r < rows; r++) {
        const a = first + r;
        for (let b = a; b < n; b++) g[a * n + b] = this.value(a, b, sums[r * n + b]);
      }
      // The mirror image, written a row of g at a time (column by column it misses the cache).
      for (let b = first; b < n; b++) for (let a = first, end = Math.min(first + rows - 1, b); a <= end; a++) g[b * n + a] = g[a * n + b];
    });
    return g;
  }

  diagonal(a: number): number {
    return this.value(a, a, this.xsq[a]);
  }

  fill(a: number, rows: Int32Array, from: number, to: number, out: Float32Array, signs: Int8Array, sign: number): void {
    if (this.gram) {
      const g = this.gram,
        o = a * this.n;
      for (let j = from; j < to; j++) out[j] = sign * signs[j] * g[o + rows[j]];
      return;
    }
    const s = this.scratch;
    dots(this.x, this.d, a, rows, from, to, s);
    // libsvm rounds y_i·y_j·K to float; the signs are ±1, so that is ±(float)K.
    for (let j = from; j < to; j++) out[j] = sign * signs[j] * this.value(a, rows[j], s[j]);
  }
}

/** x (n × d, row-major) as d × n. */
function transpose(x: Float64Array, n: number, d: number): Float64Array {
  const t = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) t[k * n + i] = x[i * d + k];
  return t;
}

/**
 * libsvm's k_function of each of `m` rows of `x` (m × d) with each of `ns` support vectors `sv`
 * (ns × d), handed to `each` a block of rows at a time as values[r · ns + s] for row first + r.
 */
export function predictionKernel(
  type: KernelType,
  gamma: number,
  x: Float64Array,
  m: number,
  sv: Float64Array,
  ns: number,
  d: number,
  each: (first: number, rows: number, values: Float64Array) => void,
): void {
  kernelSumsWasm(type === 'rbf' ? 'squared' : 'dot', x, m, transpose(sv, ns, d), ns, d, false, (first, rows, sums) => {
    if (type === 'rbf') for (let t = 0; t < rows * ns; t++) sums[t] = Math.exp(-gamma * sums[t]);
    each(first, rows, sums);
  });
}
