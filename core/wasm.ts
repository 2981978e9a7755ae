/**
 * The WebAssembly side of feature extraction (and of the networks' batched matrix products and
 * training kernels, models/backend.ts, and of the SVM's kernel sums, models/svm-kernel.ts): loads build/dsp.wasm (compiled from core/kernels/dsp.ts
 * and nn.ts by `npm run build:wasm`, which `npm ci` runs), lays out each call's buffers in its memory, and copies results out. One
 * instance per thread; calls do not nest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WASM_FILE = fileURLToPath(new URL('../build/dsp.wasm', import.meta.url));

interface Kernels {
  memory: WebAssembly.Memory;
  fir(x: number, taps: number, L: number, up: number, down: number, half: number, padLeft: number, nOut: number, out: number): void;
  stft(y: number, frames: number, hop: number, nFft: number, tables: number, work: number, outRe: number, outIm: number): void;
  stftBands(
    y: number,
    frames: number,
    hop: number,
    nFft: number,
    tables: number,
    work: number,
    rows: number,
    fb: number,
    M: number,
    lo: number,
    hi: number,
    out: number,
  ): void;
  bandProducts(x: number, T: number, K: number, w: number, M: number, lo: number, hi: number, out: number): void;
  powerToDb(x: number, n: number, amin: number, offset: number, topDb: number): void;
  pcm16ToFloat(src: number, frames: number, channels: number, dst: number): void;
  phaseVocoder(
    re: number,
    im: number,
    nIn: number,
    bins: number,
    steps: number,
    nOut: number,
    mag: number,
    ur: number,
    ui: number,
    pr: number,
    pi: number,
    outRe: number,
    outIm: number,
  ): void;
  istft(re: number, im: number, frames: number, hop: number, nFft: number, tables: number, work: number, y: number, wss: number): void;
  matmulBatched(a: number, b: number, c: number, batch: number, m: number, k: number, n: number, bStride: number): void;
  sumLeading(x: number, rows: number, cols: number, out: number, mean: boolean): void;
  maxPoolGrad(x: number, dy: number, dx: number, b: number, H: number, W: number, C: number, fh: number, fw: number, oh: number, ow: number): void;
  convBackpropFilter(
    x: number,
    dy: number,
    dw: number,
    b: number,
    H: number,
    W: number,
    Ci: number,
    OH: number,
    OW: number,
    Co: number,
    KH: number,
    KW: number,
    pt: number,
    pl: number,
  ): void;
  kernelSums(a: number, m: number, bt: number, nb: number, d: number, out: number, squared: boolean, triangle: boolean, first: number): void;
  channelSquaredDeviations(x: number, rows: number, C: number, mean: number, out: number): void;
  affineRelu(x: number, rows: number, C: number, scale: number, shift: number, y: number, relu: boolean): void;
  reluGradSums(dy: number, x: number, rows: number, C: number, mean: number, affine: number, out: number, relu: boolean): void;
  batchNormReluGradInput(dy: number, x: number, rows: number, C: number, mean: number, coef: number, dx: number, relu: boolean): void;
  avgPoolGrad(dy: number, dx: number, b: number, C: number, fh: number, fw: number, oh: number, ow: number): void;
  matmulTransposedA(a: number, b: number, c: number, r: number, m: number, n: number): void;
  conv2dForward(
    x: number,
    w: number,
    y: number,
    b: number,
    H: number,
    W: number,
    Ci: number,
    OH: number,
    OW: number,
    Co: number,
    KH: number,
    KW: number,
    pt: number,
    pl: number,
  ): void;
}

let kernels: Kernels | null = null;
function load(): Kernels {
  if (!kernels) {
    if (!existsSync(WASM_FILE)) throw new Error(`${WASM_FILE} is missing: run \`npm run build:wasm\` (npm ci and npm test do)`);
    kernels = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(WASM_FILE)), {}).exports as unknown as Kernels;
  }
  return kernels;
}

/** Byte offsets of one call's buffers (16-byte aligned), and the memory grown to hold them. */
function layout(sizes: number[]): { k: Kernels; at: number[] } {
  const k = load();
  const at: number[] = [];
  let end = 0;
  for (const bytes of sizes) {
    at.push(end);
    end += Math.ceil(bytes / 16) * 16;
  }
  const have = k.memory.buffer.byteLength;
  if (end > have) k.memory.grow(Math.ceil((end - have) / 65536));
  return { k, at };
}

/**
 * out[n] = Σ_m taps[p][m] · x[⌊c/up⌋ − L + 1 + m] (c = n·down + half, p = c mod up): the
 * polyphase resampler's inner loop. `taps` holds the reversed phases, each L floats.
 */
export function firWasm(x: Float32Array, taps: Float32Array, L: number, up: number, down: number, half: number, nOut: number): Float32Array {
  const padded = L + x.length + L + 8;
  const { k, at } = layout([padded * 4, taps.length * 4, nOut * 4]);
  const [xAt, tapsAt, outAt] = at;
  const xs = new Float32Array(k.memory.buffer, xAt, padded);
  xs.fill(0);
  xs.set(x, L);
  new Float32Array(k.memory.buffer, tapsAt, taps.length).set(taps);
  k.fir(xAt, tapsAt, L, up, down, half, L, nOut, outAt);
  return new Float32Array(k.memory.buffer, outAt, nOut).slice();
}

export interface StftTables {
  window: Float64Array;
  rev: Uint32Array;
  cos: Float64Array;
  sin: Float64Array;
  splitCos: Float64Array;
  splitSin: Float64Array;
}

/** The FFT tables as one block, in the order kernels/dsp.ts reads them (cosTable … revTable); built once per table set. */
const blocks = new WeakMap<StftTables, Uint8Array>();
function tablesBlock(t: StftTables): Uint8Array {
  let block = blocks.get(t);
  if (!block) {
    const f64 = Float64Array.from([...t.window, ...t.cos, ...t.sin, ...t.splitCos, ...t.splitSin]);
    block = new Uint8Array(f64.byteLength + t.rev.byteLength);
    block.set(new Uint8Array(f64.buffer));
    block.set(new Uint8Array(t.rev.buffer, t.rev.byteOffset, t.rev.byteLength), f64.byteLength);
    blocks.set(t, block);
  }
  return block;
}

/**
 * Lays out a centred STFT's input (y zero-padded by nFft/2 on both sides, as float64), the
 * tables and the kernel's work area, followed by the `extra` buffers (byte sizes, given the
 * frame count); returns the frame count, the kernel arguments up to `work` and the offsets of
 * the extra buffers.
 */
function stftLayout(y: ArrayLike<number>, nFft: number, hop: number, t: StftTables, extra: (frames: number) => number[]) {
  const pad = nFft >> 1;
  const frames = 1 + Math.floor(y.length / hop);
  const padded = Math.max((frames - 1) * hop + nFft, y.length + 2 * pad);
  const block = tablesBlock(t);
  const { k, at } = layout([padded * 8, block.length, 16 * nFft, ...extra(frames)]);
  const [yAt, tablesAt, workAt] = at;
  const ys = new Float64Array(k.memory.buffer, yAt, padded);
  ys.fill(0);
  ys.set(y, pad);
  new Uint8Array(k.memory.buffer, tablesAt, block.length).set(block);
  const args = [yAt, frames, hop, nFft, tablesAt, workAt] as const;
  return { k, frames, args, extraAt: at.slice(3) };
}

/**
 * Centred, zero-padded STFT of y (frames = 1 + ⌊len/hop⌋), bins 0..nFft/2 of every frame as
 * frames × bins float64 (real and imaginary parts), computed with the tables of datasets/audio/fft.ts.
 */
export function stftWasm(y: ArrayLike<number>, nFft: number, hop: number, t: StftTables): { frames: number; re: Float64Array; im: Float64Array } {
  const bins = (nFft >> 1) + 1;
  const { k, frames, args, extraAt } = stftLayout(y, nFft, hop, t, (frames) => [frames * bins * 8, frames * bins * 8]);
  const [reAt, imAt] = extraAt;
  k.stft(...args, reAt, imAt);
  const buf = k.memory.buffer;
  return { frames, re: new Float64Array(buf, reAt, frames * bins).slice(), im: new Float64Array(buf, imAt, frames * bins).slice() };
}

/**
 * The power spectrogram of y (as stftWasm, then re² + im²) through a filter bank fb (M × bins,
 * nonzero over [lo[m], hi[m]) in band m), as frames × M float64, without the spectrogram ever
 * leaving WebAssembly memory. The same doubles as stftWasm followed by bandProductsWasm.
 */
export function stftBandsWasm(
  y: ArrayLike<number>,
  nFft: number,
  hop: number,
  t: StftTables,
  fb: Float64Array,
  M: number,
  lo: Int32Array,
  hi: Int32Array,
): { frames: number; data: Float64Array } {
  const bins = (nFft >> 1) + 1;
  const { k, frames, args, extraAt } = stftLayout(y, nFft, hop, t, (frames) => [4 * bins * 8, fb.length * 8, M * 4, M * 4, frames * M * 8]);
  const [rowsAt, fbAt, loAt, hiAt, outAt] = extraAt;
  const buf = k.memory.buffer;
  new Float64Array(buf, fbAt, fb.length).set(fb);
  new Int32Array(buf, loAt, M).set(lo);
  new Int32Array(buf, hiAt, M).set(hi);
  k.stftBands(...args, rowsAt, fbAt, M, loAt, hiAt, outAt);
  return { frames, data: new Float64Array(buf, outAt, frames * M).slice() };
}

/**
 * librosa's phase vocoder: output frame t from the input frames around position steps[t]
 * (interpolated magnitude, accumulated phase). re/im: nIn × bins float64; returns
 * steps.length × bins.
 */
export function phaseVocoderWasm(re: Float64Array, im: Float64Array, bins: number, steps: Float64Array): { re: Float64Array; im: Float64Array } {
  const nIn = re.length / bins;
  const nOut = steps.length;
  const scratch = (nIn + 1) * bins * 8;
  const { k, at } = layout([re.length * 8, im.length * 8, nOut * 8, scratch, scratch, scratch, bins * 8, bins * 8, nOut * bins * 8, nOut * bins * 8]);
  const [reAt, imAt, stepsAt, magAt, urAt, uiAt, prAt, piAt, outReAt, outImAt] = at;
  const buf = k.memory.buffer;
  new Float64Array(buf, reAt, re.length).set(re);
  new Float64Array(buf, imAt, im.length).set(im);
  new Float64Array(buf, stepsAt, nOut).set(steps);
  k.phaseVocoder(reAt, imAt, nIn, bins, stepsAt, nOut, magAt, urAt, uiAt, prAt, piAt, outReAt, outImAt);
  return { re: new Float64Array(buf, outReAt, nOut * bins).slice(), im: new Float64Array(buf, outImAt, nOut * bins).slice() };
}

/**
 * Inverse STFT by overlap-add: every frame's spectrum (bins 0..nFft/2, frames × bins float64)
 * inverted with the tables of datasets/audio/fft.ts (the doubles of RealFFT.inverse), windowed by
 * t.window and added at t·hop; `wss` is the summed squared window at each sample. Both are
 * hop·(frames − 1) + nFft long (not yet trimmed or normalized).
 */
export function istftWasm(
  re: Float64Array,
  im: Float64Array,
  frames: number,
  nFft: number,
  hop: number,
  t: StftTables,
): { y: Float64Array; wss: Float64Array } {
  const total = nFft + hop * (frames - 1);
  const block = tablesBlock(t);
  const { k, at } = layout([re.length * 8, im.length * 8, block.length, 16 * nFft, total * 8, total * 8]);
  const [reAt, imAt, tablesAt, workAt, yAt, wssAt] = at;
  const buf = k.memory.buffer;
  new Float64Array(buf, reAt, re.length).set(re);
  new Float64Array(buf, imAt, im.length).set(im);
  new Uint8Array(buf, tablesAt, block.length).set(block);
  new Float64Array(buf, yAt, total).fill(0);
  new Float64Array(buf, wssAt, total).fill(0);
  k.istft(reAt, imAt, frames, hop, nFft, tablesAt, workAt, yAt, wssAt);
  return { y: new Float64Array(buf, yAt, total).slice(), wss: new Float64Array(buf, wssAt, total).slice() };
}

/**
 * out[t][m] = Σ_k x[t][k] · w[m][k] over k ∈ [lo[m], hi[m]): every frame (row of x, T × K)
 * through every band of a filter bank or transform (rows of w, M × K), as T × M float64.
 */
export function bandProductsWasm(x: Float64Array, T: number, K: number, w: Float64Array, M: number, lo: Int32Array, hi: Int32Array): Float64Array {
  const { k, at } = layout([x.length * 8, w.length * 8, M * 4, M * 4, T * M * 8]);
  const [xAt, wAt, loAt, hiAt, outAt] = at;
  const buf = k.memory.buffer;
  new Float64Array(buf, xAt, x.length).set(x);
  new Float64Array(buf, wAt, w.length).set(w);
  new Int32Array(buf, loAt, M).set(lo);
  new Int32Array(buf, hiAt, M).set(hi);
  k.bandProducts(xAt, T, K, wAt, M, loAt, hiAt, outAt);
  return new Float64Array(buf, outAt, T * M).slice();
}

/**
 * The network kernels (kernels/nn.ts, which hold no static data) compiled a second time to
 * work on an imported memory: instantiated on another module's memory (tfjs-backend-wasm's,
 * registered by models/backend.ts), they read and write tensors where they lie, without the
 * two copies into and out of our own memory (a third of a fused batch-norm kernel's time).
 * Two builds: with relaxed SIMD (fused multiply-add in the products' inner loops), chosen
 * where the engine validates it (Node ≥ 22; behind a V8 flag in Node 20), else plain SIMD128.
 * SERBENCH_WASM_FMA=0 forces the plain one.
 */
const SHARED_NN_FILES = {
  'relaxed-simd': fileURLToPath(new URL('../build/nn-shared-relaxed.wasm', import.meta.url)),
  simd128: fileURLToPath(new URL('../build/nn-shared.wasm', import.meta.url)),
};
export type NetworkKernelBuild = keyof typeof SHARED_NN_FILES;
const sharedMemories: { memory: WebAssembly.Memory; k: Kernels }[] = [];
let sharedBuild: { name: NetworkKernelBuild; module: WebAssembly.Module } | null = null;

/** Which build of the network kernels runs on tensors in place: relaxed SIMD where the engine has it. */
export function networkKernelBuild(): NetworkKernelBuild {
  if (!sharedBuild) {
    for (const [name, file] of Object.entries(SHARED_NN_FILES) as [NetworkKernelBuild, string][]) {
      if (name === 'relaxed-simd' && process.env.SERBENCH_WASM_FMA === '0') continue;
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build:wasm\` (npm ci and npm test do)`);
      const bytes = readFileSync(file);
      if (!WebAssembly.validate(bytes)) continue;
      sharedBuild = { name, module: new WebAssembly.Module(bytes) };
      break;
    }
    if (!sharedBuild) throw new Error('this engine validates neither build of the network kernels (WebAssembly SIMD is needed)');
  }
  return sharedBuild.name;
}

/** Run the network kernels on `memory` in place from now on (for arrays that are views of it). */
export function shareKernelsWith(memory: WebAssembly.Memory): void {
  if (sharedMemories.some((s) => s.memory === memory)) return;
  networkKernelBuild();
  const instance = new WebAssembly.Instance(sharedBuild!.module, { env: { memory } });
  sharedMemories.push({ memory, k: instance.exports as unknown as Kernels });
}

/**
 * A float32 kernel call: the inputs copied into the memory in order, then room for `outLength`
 * floats; `call` gets the kernels and the byte offsets (inputs…, output). The output is copied
 * into `into` (no intermediate copy), or returned as a fresh array. A network kernel (`nn`)
 * whose inputs and output all lie in a memory shared with shareKernelsWith runs there, in place.
 */
function float32Call(inputs: Float32Array[], outLength: number, call: (k: Kernels, at: number[]) => void, into?: Float32Array, nn = false): Float32Array {
  if (nn && into && sharedMemories.length) {
    const shared = sharedMemories.find((s) => s.memory.buffer === into.buffer);
    if (shared && inputs.every((x) => x.buffer === into.buffer)) {
      call(shared.k, [...inputs.map((x) => x.byteOffset), into.byteOffset]);
      return into;
    }
  }
  const { k, at } = layout([...inputs.map((x) => x.length * 4), outLength * 4]);
  inputs.forEach((x, i) => new Float32Array(k.memory.buffer, at[i], x.length).set(x));
  call(k, at);
  const out = new Float32Array(k.memory.buffer, at[inputs.length], outLength);
  return into ? (into.set(out), into) : out.slice();
}

/**
 * c[t] = a[t] · b[t] (or · b for every t when b holds one matrix): batch × [m × k] · [k × n],
 * float32. With `into`, the product is written there (no intermediate copy) and returned.
 */
export function matmulBatchedWasm(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number, into?: Float32Array): Float32Array {
  const shared = b.length === k * n;
  return float32Call([a, b], batch * m * n, (kern, [aAt, bAt, cAt]) => kern.matmulBatched(aAt, bAt, cAt, batch, m, k, n, shared ? 0 : k * n), into, true);
}

/**
 * A stride-1 NHWC convolution of x [b, H, W, Ci] with w [KH, KW, Ci, Co] (Co a multiple of 8),
 * padded by pt above and pl left, into `into` ([b, OH, OW, Co]): kernels/nn.ts conv2dForward.
 */
export function conv2dForwardWasm(
  x: Float32Array,
  w: Float32Array,
  [b, H, W, Ci]: number[],
  [KH, KW, Co]: number[],
  [OH, OW]: number[],
  [pt, pl]: number[],
  into: Float32Array,
): Float32Array {
  return float32Call([x, w], b * OH * OW * Co, (k, [xAt, wAt, yAt]) => k.conv2dForward(xAt, wAt, yAt, b, H, W, Ci, OH, OW, Co, KH, KW, pt, pl), into, true);
}

/** c = aᵀ · b, a [r × m], b [r × n] (n a multiple of 4), into `into` ([m × n]): kernels/nn.ts matmulTransposedA. */
export function matmulTransposedAWasm(a: Float32Array, b: Float32Array, r: number, m: number, n: number, into: Float32Array): Float32Array {
  return float32Call([a, b], m * n, (k, [aAt, bAt, cAt]) => k.matmulTransposedA(aAt, bAt, cAt, r, m, n), into, true);
}

/** Column sums (or means) of a [rows × cols] float32 matrix into `into` (cols floats): kernels/nn.ts sumLeading. */
export function sumLeadingWasm(x: Float32Array, rows: number, cols: number, mean: boolean, into: Float32Array): Float32Array {
  return float32Call([x], cols, (k, [xAt, outAt]) => k.sumLeading(xAt, rows, cols, outAt, mean), into, true);
}

/*
 * Batch normalization with its ReLU (kernels/nn.ts), on a [rows × C] float32 layout, C a
 * multiple of 4; the results go into `into`.
 */

/** Σ_r (x[r, c] − mean[c])² per channel. */
export function channelSquaredDeviationsWasm(x: Float32Array, rows: number, C: number, mean: Float32Array, into: Float32Array): Float32Array {
  return float32Call([x, mean], C, (k, [xAt, mAt, outAt]) => k.channelSquaredDeviations(xAt, rows, C, mAt, outAt), into, true);
}

/** max(0, x·scale + shift) per channel (relu false: x·scale + shift). */
export function affineReluWasm(
  x: Float32Array,
  rows: number,
  C: number,
  scale: Float32Array,
  shift: Float32Array,
  relu: boolean,
  into: Float32Array,
): Float32Array {
  return float32Call([x, scale, shift], x.length, (k, [xAt, aAt, bAt, yAt]) => k.affineRelu(xAt, rows, C, aAt, bAt, yAt, relu), into, true);
}

/** [Σ g | Σ g·(x − mean)] per channel, g = dy where x·scale + shift > 0 (relu false: everywhere), else 0; affine = [scale | shift]. */
export function reluGradSumsWasm(
  dy: Float32Array,
  x: Float32Array,
  rows: number,
  C: number,
  mean: Float32Array,
  affine: Float32Array,
  relu: boolean,
  into: Float32Array,
): Float32Array {
  return float32Call([dy, x, mean, affine], 2 * C, (k, [dyAt, xAt, mAt, aAt, outAt]) => k.reluGradSums(dyAt, xAt, rows, C, mAt, aAt, outAt, relu), into, true);
}

/** g·a + b + (x − mean)·k per channel, g as in reluGradSumsWasm; coef = [a | b | k | scale | shift]. */
export function batchNormReluGradInputWasm(
  dy: Float32Array,
  x: Float32Array,
  rows: number,
  C: number,
  mean: Float32Array,
  coef: Float32Array,
  relu: boolean,
  into: Float32Array,
): Float32Array {
  return float32Call(
    [dy, x, mean, coef],
    x.length,
    (k, [dyAt, xAt, mAt, cAt, dxAt]) => k.batchNormReluGradInput(dyAt, xAt, rows, C, mAt, cAt, dxAt, relu),
    into,
    true,
  );
}

/** Average pooling's gradient for non-overlapping fh × fw windows tiling the input exactly, into `into` ([b, oh·fh, ow·fw, C]): kernels/nn.ts avgPoolGrad. */
export function avgPoolGradWasm(dy: Float32Array, [b, oh, ow, C]: number[], [fh, fw]: number[], into: Float32Array): Float32Array {
  return float32Call([dy], into.length, (k, [dyAt, dxAt]) => k.avgPoolGrad(dyAt, dxAt, b, C, fh, fw, oh, ow), into, true);
}

/** Max pooling's gradient for non-overlapping fh × fw windows into `into` ([b, H, W, C]): kernels/nn.ts maxPoolGrad. */
export function maxPoolGradWasm(
  x: Float32Array,
  dy: Float32Array,
  [b, H, W, C]: number[],
  [fh, fw]: number[],
  [oh, ow]: number[],
  into: Float32Array,
): Float32Array {
  return float32Call([x, dy], x.length, (k, [xAt, dyAt, dxAt]) => k.maxPoolGrad(xAt, dyAt, dxAt, b, H, W, C, fh, fw, oh, ow), into, true);
}

/**
 * The filter gradient [KH, KW, Ci, Co] of a stride-1 NHWC convolution of x [b, H, W, Ci] with
 * output gradient dy [b, OH, OW, Co], padded by pt above and pl left: kernels/nn.ts
 * convBackpropFilter (Co a multiple of 4).
 */
export function convBackpropFilterWasm(
  x: Float32Array,
  dy: Float32Array,
  [b, H, W, Ci]: number[],
  [OH, OW, Co]: number[],
  [KH, KW]: number[],
  [pt, pl]: number[],
  into: Float32Array,
): Float32Array {
  return float32Call(
    [x, dy],
    KH * KW * Ci * Co,
    (k, [xAt, dyAt, dwAt]) => k.convBackpropFilter(xAt, dyAt, dwAt, b, H, W, Ci, OH, OW, Co, KH, KW, pt, pl),
    into,
    true,
  );
}

/** librosa.power_to_db's arithmetic on float64 values: 10·log10(max(amin, x)) − offset, floored at max − topDb (topDb null: no floor). */
export function powerToDbWasm(x: Float64Array, amin: number, offset: number, topDb: number | null): Float64Array {
  const { k, at } = layout([x.length * 8]);
  const v = new Float64Array(k.memory.buffer, at[0], x.length);
  v.set(x);
  k.powerToDb(at[0], x.length, amin, offset, topDb ?? -1);
  return v.slice();
}

/** Little-endian 16-bit PCM (the bytes of `frames` frames of `channels` samples) to mono float32, as libsndfile and librosa.to_mono. */
export function pcm16ToFloatWasm(bytes: Uint8Array, frames: number, channels: number): Float32Array {
  const n = frames * channels;
  const { k, at } = layout([n * 2, frames * 4]);
  new Uint8Array(k.memory.buffer, at[0], n * 2).set(bytes.subarray(0, n * 2));
  k.pcm16ToFloat(at[0], frames, channels, at[1]);
  return new Float32Array(k.memory.buffer, at[1], frames).slice();
}

/**
 * Dot products or squared distances of the rows of a (m × d) with nb columns given as bt
 * (d × nb, feature-major), each summed over features in order (kernels/svm.ts): handed to `each`
 * a block of rows at a time, as sums[r · nb + j] for row first + r (the view is reused by the
 * next block). With `triangle`, row i's sums start at column i rounded down to a multiple of 8.
 */
export function kernelSumsWasm(
  kind: 'dot' | 'squared',
  a: Float64Array,
  m: number,
  bt: Float64Array,
  nb: number,
  d: number,
  triangle: boolean,
  each: (first: number, rows: number, sums: Float64Array) => void,
): void {
  const block = Math.max(1, Math.min(m, Math.floor(2 ** 19 / Math.max(1, nb))));
  const { k, at } = layout([bt.length * 8, block * d * 8, block * nb * 8]);
  const [btAt, aAt, outAt] = at;
  new Float64Array(k.memory.buffer, btAt, bt.length).set(bt);
  const rows = new Float64Array(k.memory.buffer, aAt, block * d);
  const sums = new Float64Array(k.memory.buffer, outAt, block * nb);
  for (let first = 0; first < m; first += block) {
    const r = Math.min(block, m - first);
    rows.set(a.subarray(first * d, (first + r) * d));
    k.kernelSums(aAt, r, btAt, nb, d, outAt, kind === 'squared', triangle, first);
    each(first, r, sums);
  }
}
