/**
 * The tensor backend, chosen here and nowhere else: @tensorflow/tfjs-node when it is installed
 * (an optional dependency: its install downloads libtensorflow), else the wasm backend with our
 * training kernels (registerWasmTrainingKernels: the one it lacks, Conv2DBackpropFilter, and
 * faster ones where a profile showed time going), else the pure-JS cpu backend.
 * `SERBENCH_BACKEND=cpu|wasm|tensorflow` forces one.
 */
import * as tf from '@tensorflow/tfjs';
import {
  avgPoolGradWasm,
  conv2dForwardWasm,
  convBackpropFilterWasm,
  matmulBatchedWasm,
  matmulTransposedAWasm,
  maxPoolGradWasm,
  shareKernelsWith,
  sumLeadingWasm,
} from '../core/wasm.ts';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
let chosen: Promise<BackendName> | null = null;

export function tensorBackend(): Promise<BackendName> {
  chosen ??= choose();
  return chosen;
}

async function choose(): Promise<BackendName> {
  const forced = process.env.SERBENCH_BACKEND as BackendName | undefined;
  const order: BackendName[] = forced ? [forced] : ['tensorflow', 'wasm', 'cpu'];
  const reasons: string[] = [];
  for (const name of order) {
    try {
      if (name === 'tensorflow') {
        // Optional dependency: absent on machines that could not download libtensorflow.
        await import('@tensorflow/tfjs-node' as string);
      } else if (name === 'wasm') {
        await import('@tensorflow/tfjs-backend-wasm');
        registerWasmTrainingKernels();
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        // Our network kernels then work on tensors where they lie in its memory (core/wasm.ts).
        if (name === 'wasm') shareKernelsWith((tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory);
        // The cpu backend trains networks some 20× slower than wasm: never silently.
        if (name === 'cpu' && !forced) process.stderr.write(`serbench: training on the slow cpu tensor backend (${reasons.join('; ')})\n`);
        return name;
      }
      reasons.push(`${name}: setBackend refused`);
    } catch (e) {
      reasons.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no tensor backend could start (${reasons.join('; ')})`);
}

let registered = false;
type KernelCall = (name: string, args: { inputs: any; backend: any; attrs?: any }) => tf.TensorInfo;
const callWasm: KernelCall = (name, args) => tf.getKernel(name, 'wasm')!.kernelFunc(args as any) as tf.TensorInfo;

/**
 * Register, for the wasm backend (before it starts), the training kernels of ours:
 * Conv2DBackpropFilter, which tfjs-backend-wasm lacks; Conv2DBackpropInput, whose wasm kernel
 * is a plain loop ~9× slower than a forward convolution of the same size (measured here: 384 vs
 * 39 ms for a 32×32×94×16 → 32 batch), so it becomes that forward convolution (XNNPACK), over
 * dy dilated by the stride; MaxPoolGrad for non-overlapping windows; batched products; Sum and Mean over
 * leading axes; Identity and same-dtype Cast sharing data; and the gradients of Sum and Mean.
 * All are checked against the cpu backend in tests/models.test.ts and tests/training.test.ts.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) registerBackpropFilter(callWasm);
  registerConvolution();
  registerBackpropInput(callWasm);
  registerMaxPoolGrad();
  registerAvgPoolGrad();
  registerBatchMatMul(callWasm);
  registerLeadingReductions();
  registerSharedCopies();
  registerReductionGradients();
}

/** What sharing a tensor's data needs of BackendWasm (its Reshape kernel does the same). */
interface WasmBackendRefs {
  incRef(dataId: object): void;
}

/**
 * Identity, and Cast to the dtype a tensor already has, share the input's data (counted
 * references), as the cpu backend's do; tfjs-backend-wasm copies it. The engine runs Identity
 * to keep every activation a gradient needs: those copies were 12% of a CNN epoch. tfjs
 * tensors are immutable (a Variable's assign swaps its data), so sharing is safe.
 */
function registerSharedCopies(): void {
  const share = (x: tf.TensorInfo, backend: unknown): tf.TensorInfo => {
    (backend as WasmBackendRefs).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  override('Identity', ({ inputs, backend }) => (inputs.x.dtype === 'string' ? null : share(inputs.x, backend)));
  override('Cast', ({ inputs, backend, attrs }) => (inputs.x.dtype === attrs.dtype && inputs.x.dtype !== 'string' ? share(inputs.x, backend) : null));
}

/**
 * The gradients of Sum and Mean broadcast dy to the input's shape; tfjs's multiply dy by a
 * tensor of ones built element by element in JavaScript and copied into the backend (20% of a
 * CNN epoch, for batch norm's statistics), and tfjs-backend-wasm's Tile is slower still. On
 * wasm, when the reduced axes lead (batch norm) or trail (layer norm), our kernel writes dy
 * (divided by the reduced count for Mean) over the reduced positions: the same values as tfjs's
 * dy · 1 / count, in one pass. Other backends keep tfjs's gradients (the cpu backend is the
 * reference the tests compare with).
 */
function registerReductionGradients(): void {
  tf.registerKernel({
    kernelName: SPREAD_ROWS,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      const { shape, divisor, trailing } = attrs as unknown as { shape: number[]; divisor: number; trailing: boolean };
      const be = backend as unknown as WasmBackendMemory;
      const out = be.makeOutput(shape, 'float32');
      const dst = be.typedArrayFromHeap(out);
      const src = be.typedArrayFromHeap(x);
      // float32 division of float32 values, as the backend's (exact in float64, then rounded).
      if (trailing) {
        // Reduced axes last (layer norm's statistics): each value fills its own run.
        const run = dst.length / src.length;
        for (let r = 0; r < src.length; r++) dst.fill(src[r] / divisor, r * run, (r + 1) * run);
      } else {
        // Reduced axes first (batch norm's): dy fills every row; doubling copies, log2(rows) memmoves.
        for (let c = 0; c < src.length; c++) dst[c] = src[c] / divisor;
        for (let filled = src.length; filled < dst.length; filled *= 2) dst.copyWithin(filled, 0, Math.min(filled, dst.length - filled));
      }
      return out;
    },
  });
  for (const name of ['Sum', 'Mean']) {
    const original = tf.getGradient(name);
    if (!original) continue;
    tf.registerGradient({
      ...original,
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const rank = x.shape.length;
        const axes = reducedAxes((attrs as unknown as { axis: number | number[] | null }).axis, rank);
        const leading = axes.every((a) => a < axes.length);
        const trailing = axes.every((a) => a >= rank - axes.length);
        if (tf.getBackend() !== 'wasm' || !(leading || trailing) || x.dtype !== 'float32') return original.gradFunc(dy, saved, attrs);
        const divisor = name === 'Mean' ? axes.reduce((a, i) => a * x.shape[i], 1) : 1;
        return { x: () => tf.engine().runKernel(SPREAD_ROWS, { x: dy as tf.Tensor }, { shape: x.shape, divisor, trailing: !leading } as never) as tf.Tensor };
      },
    });
  }
}

/** A reduction's axis attribute as distinct non-negative axes in increasing order (null: all of them). */
function reducedAxes(axis: number | number[] | null, rank: number): number[] {
  if (axis == null) return Array.from({ length: rank }, (_, i) => i);
  return [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/** Our kernel for the gradients of Sum and Mean over leading or trailing axes (registerReductionGradients). */
const SPREAD_ROWS = 'SerbenchSpreadRows';

/** A stride-1 NHWC convolution with explicit [before, after] padding of height and width. */
function paddedConv(
  call: KernelCall,
  backend: unknown,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  padH: [number, number],
  padW: [number, number],
  dilations: [number, number],
): tf.TensorInfo {
  return call('Conv2D', {
    inputs: { x, filter },
    backend,
    attrs: { strides: [1, 1], pad: [[0, 0], padH, padW, [0, 0]], dataFormat: 'NHWC', dilations, dimRoundingMode: undefined },
  });
}

/**
 * Stride-1 convolutions (the CNN's, and every input gradient, which is one: see
 * registerBackpropInput) with 8k output channels: our register-blocked kernel (kernels/nn.ts
 * conv2dForward), 40–50 GFLOP/s here where XNNPACK through tfjs-backend-wasm reached 32–38
 * (it builds an indirection buffer and repacks the filter at every call, the filter being new
 * at every step) and 6 for one input channel. FusedConv2D without activation (a bias is added).
 */
function registerConvolution(): void {
  for (const name of ['Conv2D', 'FusedConv2D']) {
    override(name, ({ inputs, backend, attrs }) => {
      const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
      const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs as any;
      if (preluActivationWeights || (activation && activation !== 'linear') || (bias && bias.dtype !== 'float32')) return null;
      if ((dataFormat && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') || x!.dtype !== 'float32' || filter!.dtype !== 'float32') return null;
      const info = tf.backend_util.computeConv2DInfo(x!.shape as any, filter!.shape as any, strides, dilations ?? 1, pad, dimRoundingMode);
      if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.outChannels % 8 !== 0) return null;
      if (bias && bias.shape.reduce((a, b) => a * b, 1) !== info.outChannels) return null; // broadcast otherwise: tfjs's kernel
      const be = backend as unknown as WasmBackendMemory;
      const out = be.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
      conv2dForwardWasm(
        be.typedArrayFromHeap(x!),
        be.typedArrayFromHeap(filter!),
        x!.shape,
        [info.filterHeight, info.filterWidth, info.outChannels],
        [info.outHeight, info.outWidth],
        [info.padInfo.top, info.padInfo.left],
        be.typedArrayFromHeap(out),
      );
      if (bias) {
        // One bias per output channel (the ViT's patch embedding), added in place.
        const y = be.typedArrayFromHeap(out),
          bv = be.typedArrayFromHeap(bias);
        const C = info.outChannels;
        for (let at = 0; at < y.length; at += C) for (let c = 0; c < C; c++) y[at + c] += bv[c];
      }
      return out;
    });
  }
}

/** Re-register a wasm kernel with a faster path, keeping the original (and its setup) for the rest. */
function override(name: string, fast: (args: { inputs: any; backend: any; attrs?: any }) => tf.TensorInfo | null): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    ...original, // keeps its setupFunc, which binds the original kernel when the backend starts
    kernelFunc: (args) => fast(args as never) ?? (original.kernelFunc(args) as tf.TensorInfo),
  });
}

/**
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s+kh−pt, ow·s+kw−pl, ci] · dy[b,oh,ow,co]. Stride 1 (the
 * CNN's convolutions): our kernel (kernels/nn.ts), one pass summing each tap's contiguous runs
 * of pixels in registers. Other strides (the ViT's patch embedding): a convolution of x
 * transposed to [ci, H, W, b] with dy transposed to a [oh, ow, b, co] filter dilated by the
 * stride, then transposed back (three transposes; 17% of a CNN epoch when it served stride 1 too).
 */
function registerBackpropFilter(call: KernelCall): void {
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as any;
      if (dataFormat && dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (wasm): only NHWC, got ${dataFormat}`);
      const info = tf.backend_util.computeConv2DInfo(x.shape as any, filterShape, strides, 1, pad, dimRoundingMode);
      const [kh, kw] = [info.filterHeight, info.filterWidth];
      const [sh, sw] = [info.strideHeight, info.strideWidth];
      const [, H, W] = x.shape;
      const [, oh, ow, co] = dy.shape;
      const { top, left } = info.padInfo;
      if (sh === 1 && sw === 1 && co % 4 === 0 && x.dtype === 'float32') {
        const be = backend as unknown as WasmBackendMemory;
        const out = be.makeOutput([kh, kw, x.shape[3], co], 'float32');
        convBackpropFilterWasm(be.typedArrayFromHeap(x), be.typedArrayFromHeap(dy), x.shape, [oh, ow, co], [kh, kw], [top, left], be.typedArrayFromHeap(out));
        return out;
      }
      const bottom = Math.max(0, kh + (oh - 1) * sh - H - top);
      const right = Math.max(0, kw + (ow - 1) * sw - W - left);
      const xT = call('Transpose', { inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      const dyT = call('Transpose', { inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      const conv = paddedConv(call, backend, xT, dyT, [top, bottom], [left, right], [sh, sw]);
      const cropped =
        conv.shape[1] === kh && conv.shape[2] === kw
          ? conv
          : call('Slice', { inputs: { x: conv }, backend, attrs: { begin: [0, 0, 0, 0], size: [conv.shape[0], kh, kw, conv.shape[3]] } });
      const out = call('Transpose', { inputs: { x: cropped }, backend, attrs: { perm: [1, 2, 0, 3] } });
      for (const t of new Set([xT, dyT, conv, cropped])) (backend as tf.KernelBackend).disposeData(t.dataId);
      return out;
    },
  });
}

/**
 * dx[b,i,j,ci] = Σ_{kh,kw,co} dy'[b, i+pt−kh, j+pl−kw, co] · W[kh,kw,ci,co], where dy' is dy with
 * stride − 1 zeros between its pixels (dy itself at stride 1): a forward convolution (XNNPACK) of
 * dy' with W flipped in space and transposed to [kh, kw, co, ci], padded by (k−1−pt) before.
 * For stride 2 (the ViT's convolutional stem) that multiplies 4× as many terms as needed and is
 * still ~3× faster than tfjs-backend-wasm's loop, which keeps only what this cannot pad.
 */
function registerBackpropInput(call: KernelCall): void {
  override('Conv2DBackpropInput', ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as any;
    if ((dataFormat && dataFormat !== 'NHWC') || dy.dtype !== 'float32') return null;
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as any, strides, 1, pad, dimRoundingMode);
    const [kh, kw] = [info.filterHeight, info.filterWidth];
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const [, H, W] = inputShape as number[];
    const [, oh, ow] = dy.shape;
    const [dh, dw] = [(oh - 1) * sh + 1, (ow - 1) * sw + 1];
    const top = kh - 1 - info.padInfo.top,
      left = kw - 1 - info.padInfo.left;
    const [bottom, right] = [H - dh - top + kh - 1, W - dw - left + kw - 1];
    if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
    const dilated = sh === 1 && sw === 1 ? dy : dilate(backend, dy, sh, sw);
    const flipped = call('Reverse', { inputs: { x: filter }, backend, attrs: { dims: [0, 1] } });
    const w = call('Transpose', { inputs: { x: flipped }, backend, attrs: { perm: [0, 1, 3, 2] } });
    const out = paddedConv(call, backend, dilated, w, [top, bottom], [left, right], [1, 1]);
    for (const t of dilated === dy ? [flipped, w] : [flipped, w, dilated]) (backend as tf.KernelBackend).disposeData(t.dataId);
    return out;
  });
}

/** [b, h, w, c] → [b, (h−1)·sh+1, (w−1)·sw+1, c] with the pixels at multiples of the stride and zeros between. */
function dilate(backend: unknown, x: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  const [b, h, w, c] = x.shape;
  const [dh, dw] = [(h - 1) * sh + 1, (w - 1) * sw + 1];
  const be = backend as WasmBackendMemory;
  const out = be.makeOutput([b, dh, dw, c], 'float32');
  // Views after makeOutput: an allocation can grow the memory and detach earlier views.
  const src = be.typedArrayFromHeap(x),
    dst = be.typedArrayFromHeap(out);
  dst.fill(0);
  for (let n = 0; n < b; n++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        const from = ((n * h + i) * w + j) * c;
        dst.set(src.subarray(from, from + c), ((n * dh + i * sh) * dw + j * sw) * c);
      }
  return out;
}

/**
 * Non-overlapping max pooling (stride = window; the CNN's 2×2, and the ViT's 'same' 2×2): each window's
 * gradient goes to the first position holding its maximum, as tfjs's kernel, in one pass of our
 * kernel (kernels/nn.ts) instead of tfjs-backend-wasm's per-position search (~4× slower here).
 */
function registerMaxPoolGrad(): void {
  override('MaxPoolGrad', ({ inputs, backend, attrs }) => {
    const { dy, input, output } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as any;
    const info = tf.backend_util.computePool2DInfo(input.shape as any, filterSize, strides, 1, pad, dimRoundingMode);
    const [fh, fw] = [info.filterHeight, info.filterWidth];
    const [, H, W] = input.shape;
    const [oh, ow] = output.shape.slice(1, 3);
    // No padding before; windows hanging over the bottom or right edge ('same' on an odd size)
    // are cut to the input by our kernel (tfjs-backend-wasm's own differs from the cpu backend there).
    const fits = info.padInfo.top === 0 && info.padInfo.left === 0 && (oh - 1) * fh < H && (ow - 1) * fw < W;
    if (info.strideHeight !== fh || info.strideWidth !== fw || !fits || input.dtype !== 'float32') return null;
    const be = backend as unknown as WasmBackendMemory;
    const out = be.makeOutput([...input.shape], 'float32');
    maxPoolGradWasm(be.typedArrayFromHeap(input), be.typedArrayFromHeap(dy), input.shape, [fh, fw], [oh, ow], be.typedArrayFromHeap(out));
    return out;
  });
}

/**
 * Average pooling's gradient for windows that tile the input exactly (stride = window, no
 * padding: the CNN's mean over time): one pass of our kernel (kernels/nn.ts), where
 * tfjs-backend-wasm's searches every window for every input position (5% of a CNN epoch).
 */
function registerAvgPoolGrad(): void {
  override('AvgPoolGrad', ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad } = attrs as any;
    const info = tf.backend_util.computePool2DInfo(input.shape as any, filterSize, strides, 1, pad);
    const [fh, fw] = [info.filterHeight, info.filterWidth];
    const [b, H, W, C] = input.shape;
    const [, oh, ow] = dy.shape;
    const exact = info.strideHeight === fh && info.strideWidth === fw && info.padInfo.top === 0 && info.padInfo.left === 0 && oh * fh === H && ow * fw === W;
    if (!exact || C % 4 !== 0 || dy.dtype !== 'float32') return null;
    const be = backend as unknown as WasmBackendMemory;
    const out = be.makeOutput([b, H, W, C], 'float32');
    avgPoolGradWasm(be.typedArrayFromHeap(dy), [b, oh, ow, C], [fh, fw], be.typedArrayFromHeap(out));
    return out;
  });
}

/**
 * Sum and Mean over leading axes (batch norm's statistics over [batch, height, width], and the
 * gradients of its broadcast per-channel arithmetic: 17% of a CNN epoch): tfjs-backend-wasm
 * first transposes the whole tensor so that the reduced axes are innermost; our kernel sums the
 * columns of the [rows × channels] layout in one pass, in the same order (bit-identical).
 */
function registerLeadingReductions(): void {
  for (const name of ['Sum', 'Mean']) {
    override(name, ({ inputs, backend, attrs }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      const { axis, keepDims } = attrs as { axis: number | number[] | null; keepDims: boolean };
      const rank = x.shape.length;
      if (x.dtype !== 'float32' || rank < 2) return null;
      const axes = reducedAxes(axis, rank);
      // Only axes 0 … j−1 for some j < rank (a [rows × cols] view of the tensor, reduced over rows).
      if (axes.length === 0 || axes.length >= rank || axes.some((a, i) => a !== i)) return null;
      const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
      const kept = x.shape.slice(axes.length);
      const cols = kept.reduce((a, b) => a * b, 1);
      const be = backend as unknown as WasmBackendMemory;
      const out = be.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
      sumLeadingWasm(be.typedArrayFromHeap(x), rows, cols, name === 'Mean', be.typedArrayFromHeap(out));
      return out;
    });
  }
}

/** What our kernels need of tfjs-backend-wasm's BackendWasm beyond KernelBackend: outputs, and views of its memory. */
export interface WasmBackendMemory {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/**
 * tfjs-backend-wasm multiplies with XNNPACK only for untransposed operands with a batch of one;
 * anything else (a transposed operand: every weight gradient; a batch: every attention product)
 * takes a plain scalar loop (measured here: 1.5 s of a ViT training step's 1.8). So: with one
 * b, transpose explicitly (cheap) and multiply with XNNPACK, a's batches stacked as rows; with a
 * batch of b's, our SIMD kernel (core/kernels/dsp.ts).
 */
function registerBatchMatMul(call: KernelCall): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original) return;
  const product = (a: tf.TensorInfo, b: tf.TensorInfo, backend: unknown) =>
    original.kernelFunc({ inputs: { a, b }, backend: backend as tf.KernelBackend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
  override('BatchMatMul', ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
    const batchOf = (t: tf.TensorInfo) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const [batchA, batchB] = [batchOf(a), batchOf(b)];
    if (batchB !== batchA && batchB !== 1) return null;
    const be = backend as unknown as WasmBackendMemory;
    if (transposeA && !transposeB && batchA === 1 && batchB === 1 && b.shape.at(-1)! % 4 === 0) {
      // A weight's gradient, aᵀ · b: our outer-product kernel, on the tensors where they lie.
      const [r, m] = a.shape.slice(-2),
        n = b.shape.at(-1)!;
      const out = be.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
      matmulTransposedAWasm(be.typedArrayFromHeap(a), be.typedArrayFromHeap(b), r, m, n, be.typedArrayFromHeap(out));
      return out;
    }
    const made: tf.TensorInfo[] = [];
    const k = (name: string, ins: object, at?: object) => {
      const t = call(name, { inputs: ins, backend, attrs: at });
      made.push(t);
      return t;
    };
    // t as [batch, rows, cols] with `rows` the wanted leading dimension, transposing if needed.
    const as3 = (t: tf.TensorInfo, transpose: boolean, batch: number) => {
      const r = t.shape.length;
      const x3 = k('Reshape', { x: t }, { shape: [batch, t.shape[r - 2], t.shape[r - 1]] });
      return transpose ? k('Transpose', { x: x3 }, { perm: [0, 2, 1] }) : x3;
    };
    const A = as3(a, transposeA, batchA); // [batch, m, kk]
    const [m, n] = [A.shape[1], transposeB ? b.shape.at(-2)! : b.shape.at(-1)!];
    let out: tf.TensorInfo;
    if (batchB === 1) {
      // XNNPACK: a's batches stacked as rows against the one b.
      const rows = k('Reshape', { x: A }, { shape: [1, batchA * m, A.shape[2]] });
      out = product(rows, as3(b, transposeB, 1), backend);
    } else {
      // A batch of small products (attention: batch × heads): our SIMD kernel, on copies of the
      // operands read out of the backend's memory.
      const B = as3(b, transposeB, batchB); // [batch, kk, n]
      out = be.makeOutput([batchA, m, n], 'float32');
      // Views of the backend's memory (readSync would copy each operand once more: 20% of a ViT
      // epoch), taken after makeOutput, whose allocation may grow (and so detach) that memory.
      const [av, bv] = [be.typedArrayFromHeap(A), be.typedArrayFromHeap(B)];
      matmulBatchedWasm(av, bv, batchA, m, A.shape[2], n, be.typedArrayFromHeap(out));
    }
    made.push(out);
    // The reshaped result shares the product's data; disposing the intermediates keeps it.
    const result = call('Reshape', { inputs: { x: out }, backend, attrs: { shape: [...(batchA >= batchB ? a : b).shape.slice(0, -2), m, n] } });
    for (const t of new Set(made)) (backend as tf.KernelBackend).disposeData(t.dataId);
    return result;
  });
}

export { tf };
