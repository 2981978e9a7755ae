/**
 * Training kernels of the networks on the wasm backend (registered in models/backend.ts), in
 * AssemblyScript with 128-bit SIMD, compiled into build/dsp.wasm with the feature kernels. Each
 * replaces a tfjs-backend-wasm kernel that made several passes over an activation tensor where
 * one does (measured shares of a CNN epoch in `npm run bench -- cnn`). Tensors are NHWC
 * float32; every pointer is a byte offset laid out by the caller.
 */

/**
 * a·b + c per lane: a fused multiply-add in the build with relaxed SIMD (build/nn-shared-relaxed.wasm,
 * chosen at run time where the engine validates it), a multiply then an add otherwise.
 */
// Small enough that Binaryen's -O3 inlines it at every call.
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * out[c] = Σ_r x[r · cols + c] (mean: divided by rows), summing each column in row order in
 * float32: what tfjs-backend-wasm's Sum and Mean compute after transposing the reduced axes
 * innermost, here in one pass with four columns per SIMD lane group and no transpose.
 */
export function sumLeading(x: usize, rows: i32, cols: i32, out: usize, mean: bool): void {
  const rowBytes = (<usize>cols) << 2;
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    let s0 = f32x4.splat(0),
      s1 = f32x4.splat(0),
      s2 = f32x4.splat(0),
      s3 = f32x4.splat(0);
    let p = x + ((<usize>c) << 2);
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += rowBytes;
    }
    const o = out + ((<usize>c) << 2);
    v128.store(o, s0);
    v128.store(o, s1, 16);
    v128.store(o, s2, 32);
    v128.store(o, s3, 48);
  }
  for (; c + 4 <= cols; c += 4) {
    let s = f32x4.splat(0);
    let p = x + ((<usize>c) << 2);
    for (let r = 0; r < rows; r++) {
      s = f32x4.add(s, v128.load(p));
      p += rowBytes;
    }
    v128.store(out + ((<usize>c) << 2), s);
  }
  for (; c < cols; c++) {
    let s: f32 = 0;
    let p = x + ((<usize>c) << 2);
    for (let r = 0; r < rows; r++) {
      s += load<f32>(p);
      p += rowBytes;
    }
    store<f32>(out + ((<usize>c) << 2), s);
  }
  if (mean) {
    const n = <f32>rows;
    for (let j = 0; j < cols; j++) {
      const o = out + ((<usize>j) << 2);
      store<f32>(o, load<f32>(o) / n);
    }
  }
}

/**
 * The gradient of max pooling with non-overlapping fh × fw windows (stride = window, no
 * padding before): each window's dy goes to the first position (row-major) holding the window's
 * maximum, as tfjs's MaxPoolGrad, and every other input position gets 0 (also the rows and
 * columns past the last window). A last window hanging over the bottom or right edge ('same'
 * padding) is cut to the input. Channels four at a time: the running maximum and the
 * index of its first occurrence are kept per lane. x, dx: [b, H, W, C]; dy: [b, oh, ow, C].
 */
export function maxPoolGrad(x: usize, dy: usize, dx: usize, b: i32, H: i32, W: i32, C: i32, fh: i32, fw: i32, oh: i32, ow: i32): void {
  memory.fill(dx, 0, (<usize>(b * H * W * C)) << 2);
  const vec = C & ~3;
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        // A window hanging over the bottom or right edge ('same' padding) is cut to the input.
        const uh = min(fh, H - i * fh),
          vw = min(fw, W - j * fw);
        const dyAt = dy + ((<usize>(((n * oh + i) * ow + j) * C)) << 2);
        for (let c = 0; c < vec; c += 4) {
          let best = f32x4.splat(-Infinity);
          let where = i32x4.splat(-1);
          for (let u = 0; u < uh; u++)
            for (let v = 0; v < vw; v++) {
              const at = x + ((<usize>(((n * H + i * fh + u) * W + j * fw + v) * C + c)) << 2);
              const val = v128.load(at);
              const greater = f32x4.gt(val, best);
              best = v128.bitselect(val, best, greater);
              where = v128.bitselect(i32x4.splat(u * fw + v), where, greater);
            }
          const g = v128.load(dyAt + ((<usize>c) << 2));
          for (let u = 0; u < uh; u++)
            for (let v = 0; v < vw; v++) {
              const at = dx + ((<usize>(((n * H + i * fh + u) * W + j * fw + v) * C + c)) << 2);
              v128.store(at, v128.and(g, i32x4.eq(where, i32x4.splat(u * fw + v))));
            }
        }
        for (let c = vec; c < C; c++) {
          let best: f32 = -Infinity;
          let where = -1;
          for (let u = 0; u < uh; u++)
            for (let v = 0; v < vw; v++) {
              const val = load<f32>(x + ((<usize>(((n * H + i * fh + u) * W + j * fw + v) * C + c)) << 2));
              if (val > best) {
                best = val;
                where = u * fw + v;
              }
            }
          if (where >= 0) {
            const u = where / fw,
              v = where % fw;
            store<f32>(dx + ((<usize>(((n * H + i * fh + u) * W + j * fw + v) * C + c)) << 2), load<f32>(dyAt + ((<usize>c) << 2)));
          }
        }
      }
}

/**
 * The filter gradient of a stride-1, dilation-1 convolution:
 * dw[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh + kh − pt, ow + kw − pl, ci] · dy[n, oh, ow, co]
 * (positions outside x are the zero padding). For every output row and kernel tap the valid
 * run of pixels is one contiguous stretch of x and dy; it is summed in registers for a block of
 * 4 input by 16 output channels (16 accumulators: each dy load serves four products) and added
 * to dw once per stretch. co must be a multiple of 4. x: [b, H, W, Ci]; dy: [b, OH, OW, Co];
 * dw: [KH, KW, Ci, Co].
 */
export function convBackpropFilter(
  x: usize,
  dy: usize,
  dw: usize,
  b: i32,
  H: i32,
  W: i32,
  Ci: i32,
  OH: i32,
  OW: i32,
  Co: i32,
  KH: i32,
  KW: i32,
  pt: i32,
  pl: i32,
): void {
  memory.fill(dw, 0, (<usize>(KH * KW * Ci * Co)) << 2);
  const xPix = (<usize>Ci) << 2,
    dyPix = (<usize>Co) << 2;
  for (let n = 0; n < b; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh + kh - pt;
        if (ih < 0 || ih >= H) continue;
        for (let kw = 0; kw < KW; kw++) {
          const lo = max(0, pl - kw),
            hi = min(OW, W - kw + pl);
          if (hi <= lo) continue;
          const count = hi - lo;
          const xRun = x + ((<usize>(((n * H + ih) * W + lo + kw - pl) * Ci)) << 2);
          const dyRun = dy + ((<usize>(((n * OH + oh) * OW + lo) * Co)) << 2);
          const tap = dw + ((<usize>((kh * KW + kw) * Ci * Co)) << 2);
          let ci = 0;
          for (; ci + 4 <= Ci; ci += 4) tapBlock(xRun + ((<usize>ci) << 2), dyRun, tap + ((<usize>(ci * Co)) << 2), count, xPix, dyPix, Co, 4);
          for (; ci < Ci; ci++) tapBlock(xRun + ((<usize>ci) << 2), dyRun, tap + ((<usize>(ci * Co)) << 2), count, xPix, dyPix, Co, 1);
        }
      }
}

/** dw rows r < rowsIn (Co floats each) += Σ_p x[p · xPix + r] · dy[p · dyPix + ·] over `count` pixels. */
function tapBlock(x: usize, dy: usize, dw: usize, count: i32, xPix: usize, dyPix: usize, Co: i32, rowsIn: i32): void {
  const dwRow = (<usize>Co) << 2;
  let q = 0;
  if (rowsIn == 4) {
    // 4 input channels × 8 output channels: 8 accumulators, 2 dy vectors and one broadcast x fit
    // the 16 SIMD registers V8 gives wasm on x64 (4 × 16 needed 21, and spilled every pixel).
    for (; q + 8 <= Co; q += 8) {
      let a0 = f32x4.splat(0),
        a1 = f32x4.splat(0),
        b0 = f32x4.splat(0),
        b1 = f32x4.splat(0),
        c0 = f32x4.splat(0),
        c1 = f32x4.splat(0),
        d0 = f32x4.splat(0),
        d1 = f32x4.splat(0);
      let xp = x,
        dp = dy + ((<usize>q) << 2);
      for (let p = 0; p < count; p++) {
        const g0 = v128.load(dp),
          g1 = v128.load(dp, 16);
        let s = v128.load32_splat(xp);
        a0 = madd(s, g0, a0);
        a1 = madd(s, g1, a1);
        s = v128.load32_splat(xp, 4);
        b0 = madd(s, g0, b0);
        b1 = madd(s, g1, b1);
        s = v128.load32_splat(xp, 8);
        c0 = madd(s, g0, c0);
        c1 = madd(s, g1, c1);
        s = v128.load32_splat(xp, 12);
        d0 = madd(s, g0, d0);
        d1 = madd(s, g1, d1);
        xp += xPix;
        dp += dyPix;
      }
      const o = dw + ((<usize>q) << 2);
      addTo2(o, a0, a1);
      addTo2(o + dwRow, b0, b1);
      addTo2(o + 2 * dwRow, c0, c1);
      addTo2(o + 3 * dwRow, d0, d1);
    }
  } else {
    for (; q + 16 <= Co; q += 16) {
      let a0 = f32x4.splat(0),
        a1 = f32x4.splat(0),
        a2 = f32x4.splat(0),
        a3 = f32x4.splat(0);
      let xp = x,
        dp = dy + ((<usize>q) << 2);
      for (let p = 0; p < count; p++) {
        const s = v128.load32_splat(xp);
        a0 = madd(s, v128.load(dp), a0);
        a1 = madd(s, v128.load(dp, 16), a1);
        a2 = madd(s, v128.load(dp, 32), a2);
        a3 = madd(s, v128.load(dp, 48), a3);
        xp += xPix;
        dp += dyPix;
      }
      addTo(dw + ((<usize>q) << 2), a0, a1, a2, a3);
    }
  }
  for (; q < Co; q += 4) {
    for (let r = 0; r < rowsIn; r++) {
      let a = f32x4.splat(0);
      let xp = x + ((<usize>r) << 2),
        dp = dy + ((<usize>q) << 2);
      for (let p = 0; p < count; p++) {
        a = madd(v128.load32_splat(xp), v128.load(dp), a);
        xp += xPix;
        dp += dyPix;
      }
      const o = dw + <usize>r * dwRow + ((<usize>q) << 2);
      v128.store(o, f32x4.add(v128.load(o), a));
    }
  }
}

function addTo2(o: usize, a0: v128, a1: v128): void {
  v128.store(o, f32x4.add(v128.load(o), a0));
  v128.store(o, f32x4.add(v128.load(o, 16), a1), 16);
}

function addTo(o: usize, a0: v128, a1: v128, a2: v128, a3: v128): void {
  v128.store(o, f32x4.add(v128.load(o), a0));
  v128.store(o, f32x4.add(v128.load(o, 16), a1), 16);
  v128.store(o, f32x4.add(v128.load(o, 32), a2), 32);
  v128.store(o, f32x4.add(v128.load(o, 48), a3), 48);
}

/*
 * Batch normalization fused with the ReLU after it (models/layers.ts BatchNorm with relu), on
 * the [rows × C] layout of an NHWC tensor (rows = b·h·w), C a multiple of 4. Forward: the
 * squared deviations' column sums (the mean's come from sumLeading), then y = max(0, x·scale +
 * shift) in one pass. Backward: with g = (y > 0 ? dy : 0), the column sums of g and of
 * g·(x − mean) in one pass, then dx = g·a + b + (x − mean)·c per channel in one more: where
 * tfjs made a dozen passes, each a kernel with its own output tensor.
 */

/** out[c] = Σ_r (x[r, c] − mean[c])². */
export function channelSquaredDeviations(x: usize, rows: i32, C: i32, mean: usize, out: usize): void {
  const rowBytes = (<usize>C) << 2;
  for (let c = 0; c < C; c += 4) {
    const m = v128.load(mean + ((<usize>c) << 2));
    let s0 = f32x4.splat(0),
      s1 = f32x4.splat(0);
    let p = x + ((<usize>c) << 2);
    let r = 0;
    // Two accumulators: the sums' dependency chain halves.
    for (; r + 2 <= rows; r += 2) {
      const d0 = f32x4.sub(v128.load(p), m);
      const d1 = f32x4.sub(v128.load(p + rowBytes), m);
      s0 = f32x4.add(s0, f32x4.mul(d0, d0));
      s1 = f32x4.add(s1, f32x4.mul(d1, d1));
      p += rowBytes << 1;
    }
    if (r < rows) {
      const d0 = f32x4.sub(v128.load(p), m);
      s0 = f32x4.add(s0, f32x4.mul(d0, d0));
    }
    v128.store(out + ((<usize>c) << 2), f32x4.add(s0, s1));
  }
}

/** y[r, c] = max(0, x[r, c]·scale[c] + shift[c]) (relu false: without the max). */
export function affineRelu(x: usize, rows: i32, C: i32, scale: usize, shift: usize, y: usize, relu: bool): void {
  const zero = f32x4.splat(0);
  for (let c = 0; c < C; c += 4) {
    const a = v128.load(scale + ((<usize>c) << 2)),
      b = v128.load(shift + ((<usize>c) << 2));
    const rowBytes = (<usize>C) << 2;
    let p = (<usize>c) << 2;
    for (let r = 0; r < rows; r++) {
      const v = f32x4.add(f32x4.mul(v128.load(x + p), a), b);
      v128.store(y + p, relu ? f32x4.max(v, zero) : v);
      p += rowBytes;
    }
  }
}

/**
 * out[c] = Σ_r g[r, c], out[C + c] = Σ_r g[r, c]·(x[r, c] − mean[c]), g = dy where the forward's
 * x·scale + shift > 0, else 0 (relu false: g = dy). affine = [scale | shift], 2·C floats: the
 * ReLU's mask is recomputed from x (the very products of the forward) instead of read from y.
 */
export function reluGradSums(dy: usize, x: usize, rows: i32, C: i32, mean: usize, affine: usize, out: usize, relu: bool): void {
  const rowBytes = (<usize>C) << 2;
  const zero = f32x4.splat(0);
  for (let c = 0; c < C; c += 4) {
    const at = (<usize>c) << 2;
    const m = v128.load(mean + at),
      sa = v128.load(affine + at),
      sb = v128.load(affine + rowBytes + at);
    let sg = f32x4.splat(0),
      sgx = f32x4.splat(0);
    let p = at;
    for (let r = 0; r < rows; r++) {
      const xv = v128.load(x + p);
      let g = v128.load(dy + p);
      if (relu) g = v128.and(g, f32x4.gt(f32x4.add(f32x4.mul(xv, sa), sb), zero));
      sg = f32x4.add(sg, g);
      sgx = f32x4.add(sgx, f32x4.mul(g, f32x4.sub(xv, m)));
      p += rowBytes;
    }
    v128.store(out + at, sg);
    v128.store(out + ((<usize>C) << 2) + at, sgx);
  }
}

/** dx[r, c] = g[r, c]·a[c] + b[c] + (x[r, c] − mean[c])·k[c], g as in reluGradSums; coef = [a | b | k | scale | shift], 5·C floats. */
export function batchNormReluGradInput(dy: usize, x: usize, rows: i32, C: i32, mean: usize, coef: usize, dx: usize, relu: bool): void {
  const rowBytes = (<usize>C) << 2;
  const zero = f32x4.splat(0);
  for (let c = 0; c < C; c += 4) {
    const at = (<usize>c) << 2;
    const m = v128.load(mean + at),
      a = v128.load(coef + at),
      b = v128.load(coef + rowBytes + at),
      k = v128.load(coef + rowBytes * 2 + at),
      sa = v128.load(coef + rowBytes * 3 + at),
      sb = v128.load(coef + rowBytes * 4 + at);
    let p = at;
    for (let r = 0; r < rows; r++) {
      const xv = v128.load(x + p);
      let g = v128.load(dy + p);
      if (relu) g = v128.and(g, f32x4.gt(f32x4.add(f32x4.mul(xv, sa), sb), zero));
      v128.store(dx + p, f32x4.add(f32x4.add(f32x4.mul(g, a), b), f32x4.mul(f32x4.sub(xv, m), k)));
      p += rowBytes;
    }
  }
}

/**
 * The gradient of average pooling with non-overlapping fh × fw windows tiling the input
 * exactly (stride = window, no padding; the CNN's mean over time): every position of a window
 * gets its dy · (1 / (fh·fw)), as tfjs's AvgPoolGrad, in one pass (tfjs-backend-wasm's loops
 * over every window for every position: 16 ms a call for a 32 × 8 × 23 × 64 input here).
 * dy: [b, oh, ow, C]; dx: [b, oh·fh, ow·fw, C]; C a multiple of 4.
 */
export function avgPoolGrad(dy: usize, dx: usize, b: i32, C: i32, fh: i32, fw: i32, oh: i32, ow: i32): void {
  const scale = f32x4.splat(<f32>1 / <f32>(fh * fw));
  const W = ow * fw;
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        const dyAt = dy + ((<usize>(((n * oh + i) * ow + j) * C)) << 2);
        for (let u = 0; u < fh; u++)
          for (let v = 0; v < fw; v++) {
            const dxAt = dx + ((<usize>(((n * oh * fh + i * fh + u) * W + j * fw + v) * C)) << 2);
            for (let c = 0; c < C; c += 4) v128.store(dxAt + ((<usize>c) << 2), f32x4.mul(v128.load(dyAt + ((<usize>c) << 2)), scale));
          }
      }
}

/**
 * c[t] = a[t] · b[t] for t < batch (b[t] at t · bStride; bStride 0: one b for every t), row-major
 * float32 [m × k] · [k × n]. Register-blocked: two rows of c by 16 columns (eight f32x4
 * accumulators) per pass over k, so each b load serves two rows and c is written once, not read
 * and written at every k (2.1 GFLOP/s before on the ViT's attention products). Every element is
 * still summed over k in order (with a fused multiply-add in the relaxed-SIMD build).
 */
export function matmulBatched(a: usize, b: usize, c: usize, batch: i32, m: i32, k: i32, n: i32, bStride: i32): void {
  for (let t = 0; t < batch; t++) {
    const at = a + ((<usize>(t * m * k)) << 2);
    const bt = b + ((<usize>(t * bStride)) << 2);
    const ct = c + ((<usize>(t * m * n)) << 2);
    let i = 0;
    for (; i + 2 <= m; i += 2)
      rowsTimes(
        at + ((<usize>(i * k)) << 2),
        at + ((<usize>((i + 1) * k)) << 2),
        bt,
        ct + ((<usize>(i * n)) << 2),
        ct + ((<usize>((i + 1) * n)) << 2),
        k,
        n,
        true,
      );
    if (i < m) {
      const ai = at + ((<usize>(i * k)) << 2);
      const ci = ct + ((<usize>(i * n)) << 2);
      rowsTimes(ai, ai, bt, ci, ci, k, n, false);
    }
  }
}

/** Rows a0 · b → c0 and (when two) a1 · b → c1, each [1 × k] · [k × n]. */
function rowsTimes(a0: usize, a1: usize, b: usize, c0: usize, c1: usize, k: i32, n: i32, two: bool): void {
  const rowBytes = (<usize>n) << 2;
  let q = 0;
  for (; q + 16 <= n; q += 16) {
    let x0 = f32x4.splat(0),
      x1 = f32x4.splat(0),
      x2 = f32x4.splat(0),
      x3 = f32x4.splat(0);
    let y0 = f32x4.splat(0),
      y1 = f32x4.splat(0),
      y2 = f32x4.splat(0),
      y3 = f32x4.splat(0);
    let br = b + ((<usize>q) << 2);
    for (let j = 0; j < k; j++) {
      const b0 = v128.load(br),
        b1 = v128.load(br, 16),
        b2 = v128.load(br, 32),
        b3 = v128.load(br, 48);
      const s = v128.load32_splat(a0 + ((<usize>j) << 2));
      x0 = madd(s, b0, x0);
      x1 = madd(s, b1, x1);
      x2 = madd(s, b2, x2);
      x3 = madd(s, b3, x3);
      if (two) {
        const u = v128.load32_splat(a1 + ((<usize>j) << 2));
        y0 = madd(u, b0, y0);
        y1 = madd(u, b1, y1);
        y2 = madd(u, b2, y2);
        y3 = madd(u, b3, y3);
      }
      br += rowBytes;
    }
    const o = (<usize>q) << 2;
    v128.store(c0 + o, x0);
    v128.store(c0 + o, x1, 16);
    v128.store(c0 + o, x2, 32);
    v128.store(c0 + o, x3, 48);
    if (two) {
      v128.store(c1 + o, y0);
      v128.store(c1 + o, y1, 16);
      v128.store(c1 + o, y2, 32);
      v128.store(c1 + o, y3, 48);
    }
  }
  for (; q + 4 <= n; q += 4) {
    let x = f32x4.splat(0),
      y = f32x4.splat(0);
    let br = b + ((<usize>q) << 2);
    for (let j = 0; j < k; j++) {
      const bv = v128.load(br);
      x = madd(v128.load32_splat(a0 + ((<usize>j) << 2)), bv, x);
      if (two) y = madd(v128.load32_splat(a1 + ((<usize>j) << 2)), bv, y);
      br += rowBytes;
    }
    v128.store(c0 + ((<usize>q) << 2), x);
    if (two) v128.store(c1 + ((<usize>q) << 2), y);
  }
  for (; q < n; q++) {
    let x: f32 = 0,
      y: f32 = 0;
    let br = b + ((<usize>q) << 2);
    for (let j = 0; j < k; j++) {
      const bv = load<f32>(br);
      x += load<f32>(a0 + ((<usize>j) << 2)) * bv;
      if (two) y += load<f32>(a1 + ((<usize>j) << 2)) * bv;
      br += rowBytes;
    }
    store<f32>(c0 + ((<usize>q) << 2), x);
    if (two) store<f32>(c1 + ((<usize>q) << 2), y);
  }
}

/**
 * c = aᵀ · b for a [r × m] and b [r × n] row-major (n a multiple of 4): a weight's gradient
 * (inputᵀ · output gradient). The sum over r of outer products, as the convolution's filter
 * gradient sums its taps (tapBlock: 4 rows of c by 16 columns in registers), where
 * tfjs-backend-wasm would transpose a and have XNNPACK pack b afresh at every call (8 GFLOP/s
 * on the ViT's 6144 × 64 products here).
 */
export function matmulTransposedA(a: usize, b: usize, c: usize, r: i32, m: i32, n: i32): void {
  memory.fill(c, 0, (<usize>(m * n)) << 2);
  const aRow = (<usize>m) << 2,
    bRow = (<usize>n) << 2;
  let i = 0;
  for (; i + 4 <= m; i += 4) tapBlock(a + ((<usize>i) << 2), b, c + ((<usize>(i * n)) << 2), r, aRow, bRow, n, 4);
  for (; i < m; i++) tapBlock(a + ((<usize>i) << 2), b, c + ((<usize>(i * n)) << 2), r, aRow, bRow, n, 1);
}

/**
 * A stride-1, dilation-1 NHWC convolution: y[n, oh, ow, co] = Σ_{kh, kw, ci} x[n, oh + kh − pt,
 * ow + kw − pl, ci] · w[kh, kw, ci, co], positions outside x being zero padding. Four output
 * pixels by 8 output channels are summed in registers over every tap and input channel (8
 * accumulators, 2 filter vectors and one broadcast input: within the 16 SIMD registers V8 gives
 * wasm on x64) and stored once; pixels whose taps reach into the padding, one at a time.
 * x: [b, H, W, Ci]; w: [KH, KW, Ci, Co]; y: [b, OH, OW, Co]; Co a multiple of 8.
 */
export function conv2dForward(
  x: usize,
  w: usize,
  y: usize,
  b: i32,
  H: i32,
  W: i32,
  Ci: i32,
  OH: i32,
  OW: i32,
  Co: i32,
  KH: i32,
  KW: i32,
  pt: i32,
  pl: i32,
): void {
  const xPix = (<usize>Ci) << 2,
    coRow = (<usize>Co) << 2;
  for (let n = 0; n < b; n++)
    for (let oh = 0; oh < OH; oh++) {
      const khLo = max(0, pt - oh),
        khHi = min(KH, H - oh + pt);
      const yRow = y + ((<usize>((n * OH + oh) * OW)) << 2) * <usize>Co;
      // x at (n, oh − pt, −pl): taps add (kh·W + iw)·Ci.
      const xBase = <isize>x + (((<isize>(n * H + oh - pt) * W - pl) * Ci) << 2);
      for (let q = 0; q < Co; q += 8) {
        let ow = 0;
        while (ow < OW) {
          if (ow >= pl && ow + 3 + KW - 1 - pl < W && ow + 4 <= OW) {
            let a0 = f32x4.splat(0),
              a1 = f32x4.splat(0),
              b0 = f32x4.splat(0),
              b1 = f32x4.splat(0),
              c0 = f32x4.splat(0),
              c1 = f32x4.splat(0),
              d0 = f32x4.splat(0),
              d1 = f32x4.splat(0);
            for (let kh = khLo; kh < khHi; kh++)
              for (let kw = 0; kw < KW; kw++) {
                let xp = <usize>(xBase + ((<isize>(kh * W + ow + kw) * Ci) << 2));
                let wp = w + ((<usize>((kh * KW + kw) * Ci * Co + q)) << 2);
                for (let ci = 0; ci < Ci; ci++) {
                  const g0 = v128.load(wp),
                    g1 = v128.load(wp, 16);
                  let s = v128.load32_splat(xp);
                  a0 = madd(s, g0, a0);
                  a1 = madd(s, g1, a1);
                  s = v128.load32_splat(xp + xPix);
                  b0 = madd(s, g0, b0);
                  b1 = madd(s, g1, b1);
                  s = v128.load32_splat(xp + 2 * xPix);
                  c0 = madd(s, g0, c0);
                  c1 = madd(s, g1, c1);
                  s = v128.load32_splat(xp + 3 * xPix);
                  d0 = madd(s, g0, d0);
                  d1 = madd(s, g1, d1);
                  xp += 4;
                  wp += coRow;
                }
              }
            const o = yRow + <usize>ow * coRow + ((<usize>q) << 2);
            v128.store(o, a0);
            v128.store(o, a1, 16);
            v128.store(o + coRow, b0);
            v128.store(o + coRow, b1, 16);
            v128.store(o + 2 * coRow, c0);
            v128.store(o + 2 * coRow, c1, 16);
            v128.store(o + 3 * coRow, d0);
            v128.store(o + 3 * coRow, d1, 16);
            ow += 4;
          } else {
            const kwLo = max(0, pl - ow),
              kwHi = min(KW, W - ow + pl);
            let a0 = f32x4.splat(0),
              a1 = f32x4.splat(0);
            for (let kh = khLo; kh < khHi; kh++)
              for (let kw = kwLo; kw < kwHi; kw++) {
                let xp = <usize>(xBase + ((<isize>(kh * W + ow + kw) * Ci) << 2));
                let wp = w + ((<usize>((kh * KW + kw) * Ci * Co + q)) << 2);
                for (let ci = 0; ci < Ci; ci++) {
                  const s = v128.load32_splat(xp);
                  a0 = madd(s, v128.load(wp), a0);
                  a1 = madd(s, v128.load(wp, 16), a1);
                  xp += 4;
                  wp += coRow;
                }
              }
            const o = yRow + <usize>ow * coRow + ((<usize>q) << 2);
            v128.store(o, a0);
            v128.store(o, a1, 16);
            ow++;
          }
        }
      }
    }
}
