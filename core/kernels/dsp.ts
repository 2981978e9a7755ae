/**
 * The hot loops of feature extraction (resampling FIR, STFT, filter banks, dB), in
 * AssemblyScript compiled to WebAssembly with 128-bit SIMD (`npm run build:wasm` →
 * build/dsp.wasm; the JavaScript side is core/wasm.ts). Plain JavaScript has no SIMD;
 * these run 2–5× faster than the same loops in JavaScript. Buffers are laid out by the caller;
 * every pointer is a byte offset.
 */

/**
 * Polyphase FIR at the output rate: out[n] = Σ_m taps_p[m] · x[⌊c/up⌋ − L + 1 + m], with
 * c = n·down + half and phase p = c mod up. `taps` holds the `up` phases, each reversed and
 * zero-padded to L (a multiple of 4) floats; `x` is the input with `padLeft` zeros in front
 * and at least L behind. Accumulates in float32.
 *
 * Outputs n, n + up, n + 2·up and n + 3·up share phase p (their c differ by up·down) and read x
 * `down` samples apart, so they are computed together: each load of taps serves four outputs,
 * whose four sums are independent (measured: 0.49 → 0.34 ms for a 4.3-s clip at 48 → 16 kHz;
 * two accumulators per output, eight in all, ran slower, 0.64 ms, from register spills).
 */
export function fir(x: usize, taps: usize, L: i32, up: i32, down: i32, half: i32, padLeft: i32, nOut: i32, out: usize): void {
  const block = 4 * up;
  const step = (<usize>down) << 2; // bytes between the x windows of outputs n and n + up
  const outStep = (<usize>up) << 2;
  let n0 = 0;
  for (; n0 + block <= nOut; n0 += block) {
    for (let r = 0; r < up; r++) {
      const n = n0 + r;
      const c = n * down + half;
      const iMax = c / up;
      const t = taps + ((<usize>((c - iMax * up) * L)) << 2);
      const x0 = x + ((<usize>(iMax - L + 1 + padLeft)) << 2);
      const x1 = x0 + step,
        x2 = x1 + step,
        x3 = x2 + step;
      let a0 = f32x4.splat(0),
        a1 = f32x4.splat(0),
        a2 = f32x4.splat(0),
        a3 = f32x4.splat(0);
      for (let m = 0; m < L; m += 4) {
        const o = (<usize>m) << 2;
        const ta = v128.load(t + o);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(x0 + o), ta));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(x1 + o), ta));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(x2 + o), ta));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(x3 + o), ta));
      }
      const o0 = out + ((<usize>n) << 2);
      store<f32>(o0, lanesSum(a0));
      store<f32>(o0 + outStep, lanesSum(a1));
      store<f32>(o0 + 2 * outStep, lanesSum(a2));
      store<f32>(o0 + 3 * outStep, lanesSum(a3));
    }
  }
  // The last outputs (fewer than 4·up), one at a time in the same order of operations.
  for (let n = n0; n < nOut; n++) {
    const c = n * down + half;
    const iMax = c / up;
    const t = taps + ((<usize>((c - iMax * up) * L)) << 2);
    const xs = x + ((<usize>(iMax - L + 1 + padLeft)) << 2);
    let a = f32x4.splat(0);
    for (let m = 0; m < L; m += 4) {
      const o = (<usize>m) << 2;
      a = f32x4.add(a, f32x4.mul(v128.load(xs + o), v128.load(t + o)));
    }
    store<f32>(out + ((<usize>n) << 2), lanesSum(a));
  }
}

/** The sum of the four lanes (small: the optimizer inlines it). */
function lanesSum(s: v128): f32 {
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
}

/**
 * The FFT tables of datasets/audio/fft.ts for one nFft, as one block (laid out by tablesBlock in
 * core/wasm.ts; h = nFft/2): the window w[nFft], twiddles cos[h/2] and sin[h/2],
 * split twiddles splitCos[h + 1] and splitSin[h + 1] (float64), bit reversal rev[h] (u32).
 */
function cosTable(tables: usize, nFft: i32): usize {
  return tables + ((<usize>nFft) << 3);
}
function sinTable(tables: usize, nFft: i32): usize {
  return cosTable(tables, nFft) + ((<usize>(nFft >> 2)) << 3);
}
function splitCosTable(tables: usize, nFft: i32): usize {
  return sinTable(tables, nFft) + ((<usize>(nFft >> 2)) << 3);
}
function splitSinTable(tables: usize, nFft: i32): usize {
  return splitCosTable(tables, nFft) + ((<usize>((nFft >> 1) + 1)) << 3);
}
function revTable(tables: usize, nFft: i32): usize {
  return splitSinTable(tables, nFft) + ((<usize>((nFft >> 1) + 1)) << 3);
}

/**
 * The radix-2 passes of the nFft/2-point complex FFT over two transforms at once (one per
 * float64 lane), in place on bit-reversed re/im (nFft/2 lane pairs each): RealFFT's
 * butterflies, operation for operation.
 */
function butterflies(re: usize, im: usize, nFft: i32, tables: usize): void {
  const h = nFft >> 1;
  const cos = cosTable(tables, nFft),
    sin = sinTable(tables, nFft);
  for (let size = 2; size <= h; size <<= 1) {
    const halfSize = size >> 1;
    const step = h / size;
    for (let start = 0; start < h; start += size) {
      for (let j = 0, k = 0; j < halfSize; j++, k += step) {
        const a = (<usize>(start + j)) << 4;
        const b = a + ((<usize>halfSize) << 4);
        const c = f64x2.splat(load<f64>(cos + ((<usize>k) << 3)));
        const s = f64x2.splat(load<f64>(sin + ((<usize>k) << 3)));
        const rb = v128.load(re + b),
          ib = v128.load(im + b);
        const tr = f64x2.sub(f64x2.mul(rb, c), f64x2.mul(ib, s));
        const ti = f64x2.add(f64x2.mul(rb, s), f64x2.mul(ib, c));
        const ra = v128.load(re + a),
          ia = v128.load(im + a);
        v128.store(re + b, f64x2.sub(ra, tr));
        v128.store(im + b, f64x2.sub(ia, ti));
        v128.store(re + a, f64x2.add(ra, tr));
        v128.store(im + a, f64x2.add(ia, ti));
      }
    }
  }
}

/**
 * The spectra of two frames at once, one in each float64 lane: frames starting at y0 and y1
 * (float64 samples), windowed by the table's window. The arithmetic is that of datasets/audio/fft.ts
 * (radix-2 on the half-size complex packing, then one split step), operation for operation,
 * so results are the same doubles. Writes bins 0..nFft/2 of the two frames to re0/im0 and
 * re1/im1. `work` needs 16·nFft bytes.
 */
function spectrumPair(y0: usize, y1: usize, nFft: i32, tables: usize, work: usize, re0: usize, im0: usize, re1: usize, im1: usize): void {
  const h = nFft >> 1;
  const w = tables; // the window comes first
  const rev = revTable(tables, nFft),
    splitCos = splitCosTable(tables, nFft),
    splitSin = splitSinTable(tables, nFft);
  const re = work;
  const im = work + ((<usize>h) << 4);
  for (let m = 0; m < h; m++) {
    const i0 = (<usize>(2 * m)) << 3;
    const i1 = i0 + 8;
    const w0 = load<f64>(w + i0),
      w1 = load<f64>(w + i1);
    const dst = (<usize>load<u32>(rev + ((<usize>m) << 2))) << 4;
    v128.store(re + dst, f64x2.replace_lane(f64x2.splat(load<f64>(y0 + i0) * w0), 1, load<f64>(y1 + i0) * w0));
    v128.store(im + dst, f64x2.replace_lane(f64x2.splat(load<f64>(y0 + i1) * w1), 1, load<f64>(y1 + i1) * w1));
  }
  butterflies(re, im, nFft, tables);
  const half = f64x2.splat(0.5);
  for (let k = 0; k <= h; k++) {
    const a = (<usize>(k == h ? 0 : k)) << 4;
    const b = (<usize>(k == 0 ? 0 : h - k)) << 4;
    const ra = v128.load(re + a),
      rb = v128.load(re + b),
      ia = v128.load(im + a),
      ib = v128.load(im + b);
    // x/2 and x·0.5 are the same double.
    const er = f64x2.mul(f64x2.add(ra, rb), half),
      ei = f64x2.mul(f64x2.sub(ia, ib), half);
    const or = f64x2.mul(f64x2.add(ia, ib), half),
      oi = f64x2.neg(f64x2.mul(f64x2.sub(ra, rb), half));
    const wr = f64x2.splat(load<f64>(splitCos + ((<usize>k) << 3))),
      wi = f64x2.splat(load<f64>(splitSin + ((<usize>k) << 3)));
    const xr = f64x2.sub(f64x2.add(er, f64x2.mul(wr, or)), f64x2.mul(wi, oi));
    const xi = f64x2.add(f64x2.add(ei, f64x2.mul(wr, oi)), f64x2.mul(wi, or));
    const ko = (<usize>k) << 3;
    store<f64>(re0 + ko, f64x2.extract_lane(xr, 0));
    store<f64>(im0 + ko, f64x2.extract_lane(xi, 0));
    store<f64>(re1 + ko, f64x2.extract_lane(xr, 1));
    store<f64>(im1 + ko, f64x2.extract_lane(xi, 1));
  }
}

/**
 * Centred STFT of float64 samples `y` (already padded by nFft/2 zeros on both sides), two
 * frames at a time. Writes bins 0..nFft/2 of every frame to
 * outRe/outIm (frames × (nFft/2 + 1) float64).
 */
export function stft(y: usize, frames: i32, hop: i32, nFft: i32, tables: usize, work: usize, outRe: usize, outIm: usize): void {
  const bins = (nFft >> 1) + 1;
  for (let t = 0; t < frames; t += 2) {
    const t1 = t + 1 < frames ? t + 1 : t;
    const o0 = (<usize>(t * bins)) << 3;
    const o1 = (<usize>(t1 * bins)) << 3;
    const y0 = y + ((<usize>(t * hop)) << 3);
    const y1 = y + ((<usize>(t1 * hop)) << 3);
    spectrumPair(y0, y1, nFft, tables, work, outRe + o0, outIm + o0, outRe + o1, outIm + o1);
  }
}

/**
 * The power spectrogram |STFT|² of `y` (as `stft`) through a filter bank (M bands, spans
 * lo/hi as in bandProducts) without keeping the spectrogram: out is frames × M float64, the
 * same doubles as stft, then re² + im², then bandProducts. `rows` needs 32·(nFft/2 + 1) bytes.
 */
export function stftBands(
  y: usize,
  frames: i32,
  hop: i32,
  nFft: i32,
  tables: usize,
  work: usize,
  rows: usize,
  fb: usize,
  M: i32,
  lo: usize,
  hi: usize,
  out: usize,
): void {
  const bins = (nFft >> 1) + 1;
  const rowBytes = (<usize>bins) << 3;
  const re0 = rows,
    im0 = rows + rowBytes,
    re1 = rows + 2 * rowBytes,
    im1 = rows + 3 * rowBytes;
  for (let t = 0; t < frames; t += 2) {
    const t1 = t + 1 < frames ? t + 1 : t;
    const y0 = y + ((<usize>(t * hop)) << 3);
    const y1 = y + ((<usize>(t1 * hop)) << 3);
    spectrumPair(y0, y1, nFft, tables, work, re0, im0, re1, im1);
    for (let k = 0; k < bins; k++) {
      const o = (<usize>k) << 3;
      const r0 = load<f64>(re0 + o),
        i0 = load<f64>(im0 + o),
        r1 = load<f64>(re1 + o),
        i1 = load<f64>(im1 + o);
      store<f64>(re0 + o, r0 * r0 + i0 * i0);
      store<f64>(re1 + o, r1 * r1 + i1 * i1);
    }
    bandRow(re0, fb, bins, M, lo, hi, out + ((<usize>(t * M)) << 3));
    if (t1 != t) bandRow(re1, fb, bins, M, lo, hi, out + ((<usize>(t1 * M)) << 3));
  }
}

/**
 * out[t·M + m] = Σ_{k ∈ [lo_m, hi_m)} x[t·K + k] · w[m·K + k] for T rows of x and M rows of w
 * (float64): a filter bank (mel, chroma) or a DCT applied to every frame, visiting only each
 * band's nonzero span of bins (lo/hi: i32 per band). Two lanes, two accumulators.
 */
export function bandProducts(x: usize, T: i32, K: i32, w: usize, M: i32, lo: usize, hi: usize, out: usize): void {
  for (let t = 0; t < T; t++) bandRow(x + ((<usize>(t * K)) << 3), w, K, M, lo, hi, out + ((<usize>(t * M)) << 3));
}

/** One row of bandProducts: out[m] = Σ_{k ∈ [lo_m, hi_m)} row[k] · w[m·K + k]. */
function bandRow(row: usize, w: usize, K: i32, M: i32, lo: usize, hi: usize, out: usize): void {
  for (let m = 0; m < M; m++) {
    const a = load<i32>(lo + ((<usize>m) << 2));
    const b = load<i32>(hi + ((<usize>m) << 2));
    const wr = w + ((<usize>(m * K)) << 3);
    let s0 = f64x2.splat(0),
      s1 = f64x2.splat(0);
    let k = a;
    for (; k + 4 <= b; k += 4) {
      const o = (<usize>k) << 3;
      s0 = f64x2.add(s0, f64x2.mul(v128.load(row + o), v128.load(wr + o)));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(row + o, 16), v128.load(wr + o, 16)));
    }
    const s = f64x2.add(s0, s1);
    let acc = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    for (; k < b; k++) acc += load<f64>(row + ((<usize>k) << 3)) * load<f64>(wr + ((<usize>k) << 3));
    store<f64>(out + ((<usize>m) << 3), acc);
  }
}

/**
 * librosa.power_to_db in place on n float64 values: 10·log10(max(amin, x)) − offset, then
 * (when topDb ≥ 0) raised to at least the maximum − topDb.
 */
export function powerToDb(x: usize, n: i32, amin: f64, offset: f64, topDb: f64): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const p = x + ((<usize>i) << 3);
    const v = 10 * Math.log10(Math.max(amin, load<f64>(p))) - offset;
    store<f64>(p, v);
    if (v > max) max = v;
  }
  if (topDb < 0) return;
  const floor = max - topDb;
  for (let i = 0; i < n; i++) {
    const p = x + ((<usize>i) << 3);
    if (load<f64>(p) < floor) store<f64>(p, floor);
  }
}

/**
 * Little-endian 16-bit PCM frames of `channels` interleaved samples at `src` to mono float32
 * at `dst`: each sample / 32768, channels summed in float32 and divided by their count
 * (numpy's float32 mean, as librosa.to_mono). Mono runs eight samples at a time.
 */
export function pcm16ToFloat(src: usize, frames: i32, channels: i32, dst: usize): void {
  const scale: f32 = 1.0 / 32768.0;
  if (channels == 1) {
    const vscale = f32x4.splat(scale);
    let i = 0;
    for (; i + 8 <= frames; i += 8) {
      const v = v128.load(src + ((<usize>i) << 1));
      const o = dst + ((<usize>i) << 2);
      v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(v)), vscale));
      v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(v)), vscale), 16);
    }
    for (; i < frames; i++) store<f32>(dst + ((<usize>i) << 2), <f32>load<i16>(src + ((<usize>i) << 1)) * scale);
    return;
  }
  for (let i = 0; i < frames; i++) {
    const base = src + ((<usize>(i * channels)) << 1);
    let acc: f32 = 0;
    for (let c = 0; c < channels; c++) acc += <f32>load<i16>(base + ((<usize>c) << 1)) * scale;
    store<f32>(dst + ((<usize>i) << 2), acc / <f32>channels);
  }
}

/**
 * Inverse STFT of `frames` Hermitian spectra (bins 0..nFft/2 of each, frames × (nFft/2 + 1)
 * float64 in re/im), two frames at a time, overlap-added into y with the tables' window as
 * synthesis window; wss accumulates its square. The arithmetic is RealFFT.inverse's (undo the
 * split, a forward FFT of the conjugate, conjugate and divide by nFft/2), operation for
 * operation. y and wss (hop·(frames − 1) + nFft float64 each) must start zeroed; `work` needs
 * 16·nFft bytes.
 */
export function istft(re: usize, im: usize, frames: i32, hop: i32, nFft: i32, tables: usize, work: usize, y: usize, wss: usize): void {
  const h = nFft >> 1;
  const bins = h + 1;
  const w = tables; // the window comes first
  const rev = revTable(tables, nFft),
    splitCos = splitCosTable(tables, nFft),
    splitSin = splitSinTable(tables, nFft);
  const zr = work;
  const zi = work + ((<usize>h) << 4);
  const half = f64x2.splat(0.5);
  const hh = f64x2.splat(<f64>h);
  for (let t = 0; t < frames; t += 2) {
    const t1 = t + 1 < frames ? t + 1 : t;
    const r0 = re + ((<usize>(t * bins)) << 3),
      r1 = re + ((<usize>(t1 * bins)) << 3);
    const i0 = im + ((<usize>(t * bins)) << 3),
      i1 = im + ((<usize>(t1 * bins)) << 3);
    for (let k = 0; k < h; k++) {
      const ko = (<usize>k) << 3;
      const mo = (<usize>(h - k)) << 3;
      // The imaginary parts of DC and Nyquist are ignored (numpy irfft).
      const xr = f64x2.replace_lane(f64x2.splat(load<f64>(r0 + ko)), 1, load<f64>(r1 + ko));
      const xi = k == 0 ? f64x2.splat(0) : f64x2.replace_lane(f64x2.splat(load<f64>(i0 + ko)), 1, load<f64>(i1 + ko));
      const yr = f64x2.replace_lane(f64x2.splat(load<f64>(r0 + mo)), 1, load<f64>(r1 + mo));
      const yi = k == 0 ? f64x2.splat(0) : f64x2.replace_lane(f64x2.splat(load<f64>(i0 + mo)), 1, load<f64>(i1 + mo));
      const er = f64x2.mul(f64x2.add(xr, yr), half),
        ei = f64x2.mul(f64x2.sub(xi, yi), half);
      const dr = f64x2.mul(f64x2.sub(xr, yr), half),
        di = f64x2.mul(f64x2.add(xi, yi), half);
      const wr = f64x2.splat(load<f64>(splitCos + ko)),
        wi = f64x2.splat(-load<f64>(splitSin + ko)); // W^{−k}
      const or = f64x2.sub(f64x2.mul(dr, wr), f64x2.mul(di, wi)),
        oi = f64x2.add(f64x2.mul(dr, wi), f64x2.mul(di, wr));
      const dst = (<usize>load<u32>(rev + ((<usize>k) << 2))) << 4;
      v128.store(zr + dst, f64x2.sub(er, oi));
      v128.store(zi + dst, f64x2.neg(f64x2.add(ei, or)));
    }
    butterflies(zr, zi, nFft, tables);
    // x[2m] = Re z[m] / h, x[2m + 1] = −Im z[m] / h (both frames); overlap-add t, then t1.
    for (let m = 0; m < h; m++) {
      const o = (<usize>m) << 4;
      v128.store(zr + o, f64x2.div(v128.load(zr + o), hh));
      v128.store(zi + o, f64x2.div(f64x2.neg(v128.load(zi + o)), hh));
    }
    overlapAdd(zr, zi, 0, w, h, y + ((<usize>(t * hop)) << 3), wss + ((<usize>(t * hop)) << 3));
    if (t1 != t) overlapAdd(zr, zi, 8, w, h, y + ((<usize>(t1 * hop)) << 3), wss + ((<usize>(t1 * hop)) << 3));
  }
}

/**
 * One frame of the inverse, in the float64 lane at byte offset `lane` (0 or 8) of the packed
 * zr/zi (x[2m] = zr[m], x[2m + 1] = zi[m]), windowed by w and added to y; w² added to wss.
 */
function overlapAdd(zr: usize, zi: usize, lane: usize, w: usize, h: i32, y: usize, wss: usize): void {
  for (let m = 0; m < h; m++) {
    const e = (<usize>(2 * m)) << 3;
    const we = load<f64>(w + e),
      wo = load<f64>(w + e + 8);
    store<f64>(y + e, load<f64>(y + e) + load<f64>(zr + ((<usize>m) << 4) + lane) * we);
    store<f64>(y + e + 8, load<f64>(y + e + 8) + load<f64>(zi + ((<usize>m) << 4) + lane) * wo);
    store<f64>(wss + e, load<f64>(wss + e) + we * we);
    store<f64>(wss + e + 8, load<f64>(wss + e + 8) + wo * wo);
  }
}

/**
 * librosa's phase vocoder (time_stretch) on an STFT of nIn frames (re/im, nIn × bins float64):
 * output frame t, at fractional input position steps[t], has the magnitude interpolated
 * between input frames ⌊step⌋ and ⌊step⌋ + 1 (a zero frame past the end) and the accumulated
 * phase, which then advances by the phase difference of those two frames.
 *
 * librosa accumulates the phase as an angle: φ += φ_adv + wrap(∠c₁ − ∠c₀ − φ_adv), where the
 * wrap only removes multiples of 2π, so φ ≡ ∠c₀(frame 0) + Σ (∠c₁ − ∠c₀) (mod 2π). This keeps
 * the phase as a unit phasor instead and multiplies it by u₁·conj(u₀) (u = c/|c|, or 1 for
 * c = 0 as numpy's angle(0) = 0): the same rotation with no trigonometry, and without the
 * rounding of a large accumulated angle. `mag`, `ur`, `ui` are scratch of (nIn + 1) × bins
 * float64, `pr`, `pi` of bins.
 */
export function phaseVocoder(
  re: usize,
  im: usize,
  nIn: i32,
  bins: i32,
  steps: usize,
  nOut: i32,
  mag: usize,
  ur: usize,
  ui: usize,
  pr: usize,
  pi: usize,
  outRe: usize,
  outIm: usize,
): void {
  const n = nIn * bins;
  for (let j = 0; j < n; j++) {
    const o = (<usize>j) << 3;
    const r = load<f64>(re + o),
      q = load<f64>(im + o);
    const m = Math.sqrt(r * r + q * q);
    store<f64>(mag + o, m);
    store<f64>(ur + o, m > 0 ? r / m : 1);
    store<f64>(ui + o, m > 0 ? q / m : 0);
  }
  for (let k = 0; k < bins; k++) {
    const o = (<usize>(n + k)) << 3; // the zero frame past the end
    store<f64>(mag + o, 0);
    store<f64>(ur + o, 1);
    store<f64>(ui + o, 0);
  }
  memory.copy(pr, ur, (<usize>bins) << 3);
  memory.copy(pi, ui, (<usize>bins) << 3);
  for (let t = 0; t < nOut; t++) {
    const step = load<f64>(steps + ((<usize>t) << 3));
    const i0 = <i32>Math.floor(step);
    const alpha = step - <f64>i0;
    const a = (<usize>(i0 * bins)) << 3;
    const b = (<usize>((i0 + 1 < nIn ? i0 + 1 : nIn) * bins)) << 3;
    const out = (<usize>(t * bins)) << 3;
    for (let k = 0; k < bins; k++) {
      const o = (<usize>k) << 3;
      const m = (1 - alpha) * load<f64>(mag + a + o) + alpha * load<f64>(mag + b + o);
      const xr = load<f64>(pr + o),
        xi = load<f64>(pi + o);
      store<f64>(outRe + out + o, m * xr);
      store<f64>(outIm + out + o, m * xi);
      // rotation u₁·conj(u₀)
      const ar = load<f64>(ur + a + o),
        ai = load<f64>(ui + a + o);
      const br = load<f64>(ur + b + o),
        bi = load<f64>(ui + b + o);
      const dr = br * ar + bi * ai,
        di = bi * ar - br * ai;
      store<f64>(pr + o, xr * dr - xi * di);
      store<f64>(pi + o, xr * di + xi * dr);
    }
  }
}
