/**
 * The SVM's kernel sums (models/svm-kernel.ts), in AssemblyScript with 128-bit SIMD, compiled
 * into build/dsp.wasm with the other kernels. Each lane holds the sum of its own column, added
 * feature by feature in order, with a separate multiply and add (wasm has no fused one): the
 * result equals libsvm's scalar loop to the bit, while eight sums run side by side.
 *
 * a: m rows × d (float64, row-major); bt: d × nb (float64, feature-major, the columns' rows
 * transposed); out: m × nb. Row i starts at column ((first + i) & ~7) when `triangle`, for the
 * upper half of a symmetric matrix (first = the global index of row 0); earlier columns of that
 * row are left unwritten.
 */

/** The term one feature adds: a · b, or (a − b)² when `squared` (small: the optimizer inlines it). */
function term(a: v128, b: v128, squared: bool): v128 {
  if (squared) {
    const e = f64x2.sub(a, b);
    return f64x2.mul(e, e);
  }
  return f64x2.mul(a, b);
}

/** out[i·nb + j] = Σ_k a[i, k] · bt[k, j], or Σ_k (a[i, k] − bt[k, j])² when `squared`. */
export function kernelSums(a: usize, m: i32, bt: usize, nb: i32, d: i32, out: usize, squared: bool, triangle: bool, first: i32): void {
  const rowBytes = (<usize>nb) << 3;
  for (let i = 0; i < m; i++) {
    const ai = a + ((<usize>i * <usize>d) << 3);
    const oi = out + ((<usize>i * <usize>nb) << 3);
    let j = triangle ? (first + i) & ~7 : 0;
    for (; j + 8 <= nb; j += 8) {
      let s0 = f64x2.splat(0),
        s1 = f64x2.splat(0),
        s2 = f64x2.splat(0),
        s3 = f64x2.splat(0);
      let p = bt + ((<usize>j) << 3);
      for (let k = 0; k < d; k++) {
        const v = f64x2.splat(load<f64>(ai + ((<usize>k) << 3)));
        s0 = f64x2.add(s0, term(v, v128.load(p), squared));
        s1 = f64x2.add(s1, term(v, v128.load(p, 16), squared));
        s2 = f64x2.add(s2, term(v, v128.load(p, 32), squared));
        s3 = f64x2.add(s3, term(v, v128.load(p, 48), squared));
        p += rowBytes;
      }
      const o = oi + ((<usize>j) << 3);
      v128.store(o, s0);
      v128.store(o, s1, 16);
      v128.store(o, s2, 32);
      v128.store(o, s3, 48);
    }
    for (; j < nb; j++) {
      let s: f64 = 0;
      for (let k = 0; k < d; k++) {
        const x = load<f64>(ai + ((<usize>k) << 3)),
          y = load<f64>(bt + ((<usize>k * <usize>nb + <usize>j) << 3));
        s += squared ? (x - y) * (x - y) : x * y;
      }
      store<f64>(oi + ((<usize>j) << 3), s);
    }
  }
}
