/**
 * Training kernels of the networks on the wasm backend (registered in models/backend.ts), in
 * AssemblyScript with 128-bit SIMD, compiled into build/dsp.wasm with the feature kernels. Each
 * replaces a tfjs-backend-wasm kernel that made several passes over an activation tensor where
 * one does (measured shares of a CNN epoch in `npm run bench -- cnn`). Tensors are NHWC
 * float32; every pointer is a byte offset laid out by the caller.
 */

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
  for (; q + 16 <= Co; q += 16) {
    let a0 = f32x4.splat(0),
      a1 = f32x4.splat(0),
      a2 = f32x4.splat(0),
      a3 = f32x4.splat(0),
      b0 = f32x4.splat(0),
      b1 = f32x4.splat(0),
      b2 = f32x4.splat(0),
      b3 = f32x4.splat(0),
      c0 = f32x4.splat(0),
      c1 = f32x4.splat(0),
      c2 = f32x4.splat(0),
      c3 = f32x4.splat(0),
      d0 = f32x4.splat(0),
      d1 = f32x4.splat(0),
      d2 = f32x4.splat(0),
      d3 = f32x4.splat(0);
    let xp = x,
      dp = dy + ((<usize>q) << 2);
    if (rowsIn == 4) {
      for (let p = 0; p < count; p++) {
        const g0 = v128.load(dp),
          g1 = v128.load(dp, 16),
          g2 = v128.load(dp, 32),
          g3 = v128.load(dp, 48);
        const s = f32x4.splat(load<f32>(xp)),
          t = f32x4.splat(load<f32>(xp, 4)),
          u = f32x4.splat(load<f32>(xp, 8)),
          v = f32x4.splat(load<f32>(xp, 12));
        a0 = f32x4.add(a0, f32x4.mul(s, g0));
        a1 = f32x4.add(a1, f32x4.mul(s, g1));
        a2 = f32x4.add(a2, f32x4.mul(s, g2));
        a3 = f32x4.add(a3, f32x4.mul(s, g3));
        b0 = f32x4.add(b0, f32x4.mul(t, g0));
        b1 = f32x4.add(b1, f32x4.mul(t, g1));
        b2 = f32x4.add(b2, f32x4.mul(t, g2));
        b3 = f32x4.add(b3, f32x4.mul(t, g3));
        c0 = f32x4.add(c0, f32x4.mul(u, g0));
        c1 = f32x4.add(c1, f32x4.mul(u, g1));
        c2 = f32x4.add(c2, f32x4.mul(u, g2));
        c3 = f32x4.add(c3, f32x4.mul(u, g3));
        d0 = f32x4.add(d0, f32x4.mul(v, g0));
        d1 = f32x4.add(d1, f32x4.mul(v, g1));
        d2 = f32x4.add(d2, f32x4.mul(v, g2));
        d3 = f32x4.add(d3, f32x4.mul(v, g3));
        xp += xPix;
        dp += dyPix;
      }
    } else {
      for (let p = 0; p < count; p++) {
        const s = f32x4.splat(load<f32>(xp));
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(dp)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(dp, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s, v128.load(dp, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s, v128.load(dp, 48)));
        xp += xPix;
        dp += dyPix;
      }
    }
    const o = dw + ((<usize>q) << 2);
    addTo(o, a0, a1, a2, a3);
    if (rowsIn == 4) {
      addTo(o + dwRow, b0, b1, b2, b3);
      addTo(o + 2 * dwRow, c0, c1, c2, c3);
      addTo(o + 3 * dwRow, d0, d1, d2, d3);
    }
  }
  for (; q < Co; q += 4) {
    for (let r = 0; r < rowsIn; r++) {
      let a = f32x4.splat(0);
      let xp = x + ((<usize>r) << 2),
        dp = dy + ((<usize>q) << 2);
      for (let p = 0; p < count; p++) {
        a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(xp)), v128.load(dp)));
        xp += xPix;
        dp += dyPix;
      }
      const o = dw + <usize>r * dwRow + ((<usize>q) << 2);
      v128.store(o, f32x4.add(v128.load(o), a));
    }
  }
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
