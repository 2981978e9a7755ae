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

/** out[i·nb + j] = Σ_k a[i, k] · bt[k, j]. */
export function dotSums(a: usize, m: i32, bt: usize, nb: i32, d: i32, out: usize, triangle: bool, first: i32): void {
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
        s0 = f64x2.add(s0, f64x2.mul(v, v128.load(p)));
        s1 = f64x2.add(s1, f64x2.mul(v, v128.load(p, 16)));
        s2 = f64x2.add(s2, f64x2.mul(v, v128.load(p, 32)));
        s3 = f64x2.add(s3, f64x2.mul(v, v128.load(p, 48)));
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
      for (let k = 0; k < d; k++) s += load<f64>(ai + ((<usize>k) << 3)) * load<f64>(bt + ((<usize>k * <usize>nb + <usize>j) << 3));
      store<f64>(oi + ((<usize>j) << 3), s);
    }
  }
}

/** out[i·nb + j] = Σ_k (a[i, k] − bt[k, j])². */
export function squaredDistances(a: usize, m: i32, bt: usize, nb: i32, d: i32, out: usize): void {
  const rowBytes = (<usize>nb) << 3;
  for (let i = 0; i < m; i++) {
    const ai = a + ((<usize>i * <usize>d) << 3);
    const oi = out + ((<usize>i * <usize>nb) << 3);
    let j = 0;
    for (; j + 8 <= nb; j += 8) {
      let s0 = f64x2.splat(0),
        s1 = f64x2.splat(0),
        s2 = f64x2.splat(0),
        s3 = f64x2.splat(0);
      let p = bt + ((<usize>j) << 3);
      for (let k = 0; k < d; k++) {
        const v = f64x2.splat(load<f64>(ai + ((<usize>k) << 3)));
        const e0 = f64x2.sub(v, v128.load(p)),
          e1 = f64x2.sub(v, v128.load(p, 16)),
          e2 = f64x2.sub(v, v128.load(p, 32)),
          e3 = f64x2.sub(v, v128.load(p, 48));
        s0 = f64x2.add(s0, f64x2.mul(e0, e0));
        s1 = f64x2.add(s1, f64x2.mul(e1, e1));
        s2 = f64x2.add(s2, f64x2.mul(e2, e2));
        s3 = f64x2.add(s3, f64x2.mul(e3, e3));
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
        const e = load<f64>(ai + ((<usize>k) << 3)) - load<f64>(bt + ((<usize>k * <usize>nb + <usize>j) << 3));
        s += e * e;
      }
      store<f64>(oi + ((<usize>j) << 3), s);
    }
  }
}
