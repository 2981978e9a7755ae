/**
 * Batch normalization and the ReLU after it as one differentiable op with kernels of ours
 * (core/kernels/nn.ts), registered for the wasm and cpu backends. In tfjs ops the pair was a
 * dozen passes over the activation tensor each way (subtract, square, sum, multiply, add, relu
 * and their gradients), each a kernel call with its own output tensor: about a quarter of a CNN
 * training step. Here: forward, the channel sums (our Sum), the squared deviations' sums and
 * one pass for y; backward, one pass for two channel sums and one for dx. The batch's
 * statistics are the team's (synchronized batch norm): the forward's two sums and the
 * backward's two are summed over the team, as models/layers.ts's unfused path does.
 */
import { tf, type WasmBackendMemory } from './backend.ts';
import type { Collective } from './collective.ts';
import { affineReluWasm, batchNormReluGradInputWasm, channelSquaredDeviationsWasm, reluGradSumsWasm } from '../core/wasm.ts';

const KERNELS = {
  squaredDeviations: 'SerbenchSquaredDeviations',
  affineRelu: 'SerbenchAffineRelu',
  gradSums: 'SerbenchReluGradSums',
  gradInput: 'SerbenchBatchNormGradInput',
} as const;

/** A kernel's float32 inputs as arrays and its output, on the wasm (views of its memory) or cpu backend. */
interface Access {
  /** The output first: on wasm its allocation may grow the memory and detach earlier views. */
  output(shape: number[]): { info: tf.TensorInfo; data: Float32Array };
  view(t: tf.TensorInfo): Float32Array;
}

function access(backend: unknown, name: string): Access {
  if (name === 'wasm') {
    const be = backend as WasmBackendMemory;
    return {
      output: (shape) => {
        const info = be.makeOutput(shape, 'float32');
        return { info, data: be.typedArrayFromHeap(info) };
      },
      view: (t) => be.typedArrayFromHeap(t),
    };
  }
  const be = backend as {
    data: { get(id: object): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
  };
  return {
    output: (shape) => {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      return { info: be.makeTensorInfo(shape, 'float32', data), data };
    },
    view: (t) => be.data.get(t.dataId).values,
  };
}

let registered = false;

/** Register the four kernels for wasm and cpu (once; a backend that lacks them takes the unfused path). */
export function registerBatchNormKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ['wasm', 'cpu']) {
    const register = (kernelName: string, run: (a: Access, inputs: Record<string, tf.TensorInfo>, relu: boolean) => tf.TensorInfo) =>
      tf.registerKernel({
        kernelName,
        backendName,
        kernelFunc: ({ inputs, backend, attrs }) => run(access(backend, backendName), inputs as never, Boolean((attrs as { relu?: boolean })?.relu)),
      });
    register(KERNELS.squaredDeviations, (a, { x, mean }) => {
      const C = mean.shape[0];
      const out = a.output([C]);
      channelSquaredDeviationsWasm(a.view(x), sizeOf(x) / C, C, a.view(mean), out.data);
      return out.info;
    });
    register(KERNELS.affineRelu, (a, { x, scale, shift }, relu) => {
      const C = scale.shape[0];
      const out = a.output([...x.shape]);
      affineReluWasm(a.view(x), sizeOf(x) / C, C, a.view(scale), a.view(shift), relu, out.data);
      return out.info;
    });
    register(KERNELS.gradSums, (a, { dy, x, mean, affine }, relu) => {
      const C = mean.shape[0];
      const out = a.output([2, C]);
      reluGradSumsWasm(a.view(dy), a.view(x), sizeOf(x) / C, C, a.view(mean), a.view(affine), relu, out.data);
      return out.info;
    });
    register(KERNELS.gradInput, (a, { dy, x, mean, coef }, relu) => {
      const C = mean.shape[0];
      const out = a.output([...x.shape]);
      batchNormReluGradInputWasm(a.view(dy), a.view(x), sizeOf(x) / C, C, a.view(mean), a.view(coef), relu, out.data);
      return out.info;
    });
  }
}

const sizeOf = (t: tf.TensorInfo) => t.shape.reduce((a, b) => a * b, 1);
const run = (name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown> = {}) =>
  tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor;

/** The fused op applies: float32 channels-last input with a multiple of 4 channels, on a backend with the kernels. */
export function fusable(x: tf.Tensor): boolean {
  registerBatchNormKernels();
  return x.dtype === 'float32' && x.shape.length >= 2 && x.shape.at(-1)! % 4 === 0 && tf.getKernel(KERNELS.affineRelu, tf.getBackend()) !== undefined;
}

/** Inference (or any fixed statistics): max(0, (x − mean)·γ/√(var + ε) + β), one pass. */
export function batchNormReluInference(
  x: tf.Tensor,
  mean: Float32Array,
  variance: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  relu: boolean,
): tf.Tensor {
  const { scale, shift } = affine(mean, variance, gamma, beta, epsilon);
  return tf.tidy(() => run(KERNELS.affineRelu, { x, scale: tf.tensor1d(scale), shift: tf.tensor1d(shift) }, { relu }));
}

function affine(mean: Float32Array, variance: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number) {
  const C = mean.length;
  const rstd = new Float32Array(C),
    scale = new Float32Array(C),
    shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    rstd[c] = 1 / Math.sqrt(variance[c] + epsilon);
    scale[c] = gamma[c] * rstd[c];
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  return { rstd, scale, shift };
}

export interface BatchStatistics {
  mean: Float32Array;
  variance: Float32Array;
}

/**
 * Training: normalize with the batch's statistics (the team's when `collective` is given;
 * `count` is the whole batch's number of positions per channel), then ReLU; differentiable in
 * x, γ and β. `onStatistics` receives the batch's mean and variance (for the moving averages).
 */
export function batchNormReluTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  o: { epsilon: number; relu: boolean; collective: Collective | null; count: number; onStatistics: (s: BatchStatistics) => void },
): tf.Tensor {
  const C = x.shape.at(-1)!;
  const rows = x.size / C;
  const teamSum = (local: Float32Array) => (o.collective ? o.collective.sum(local) : local);
  const op = tf.customGrad(((xIn: tf.Tensor, gammaIn: tf.Tensor, betaIn: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const g = gammaIn.dataSync() as Float32Array,
      b = betaIn.dataSync() as Float32Array;
    const x2 = xIn.reshape([rows, C]);
    const sums = teamSum(tf.tidy(() => tf.sum(x2, 0)).dataSync() as Float32Array);
    const mean = Float32Array.from(sums, (s) => s / o.count);
    const meanT = tf.tensor1d(mean);
    const squared = run(KERNELS.squaredDeviations, { x: x2, mean: meanT });
    const variance = Float32Array.from(teamSum(squared.dataSync() as Float32Array), (s) => s / o.count);
    squared.dispose();
    o.onStatistics({ mean, variance });
    const { rstd, scale, shift } = affine(mean, variance, g, b, o.epsilon);
    const affineT = tf.tensor1d(Float32Array.from([...scale, ...shift]));
    const y = tf.tidy(() => run(KERNELS.affineRelu, { x: xIn, scale: tf.tensor1d(scale), shift: tf.tensor1d(shift) }, { relu: o.relu }));
    // y is not kept: the backward recomputes the ReLU's mask from x, scale and shift.
    save([xIn, meanT, affineT]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ms, affineS] = saved;
        const local = run(KERNELS.gradSums, { dy, x: xs, mean: ms, affine: affineS }, { relu: o.relu });
        const sg = local.dataSync() as Float32Array;
        local.dispose();
        // γ's and β's gradients are this thread's rows' (the team sums weight gradients after
        // the step); dx needs the whole batch's sums, as the statistics were the whole batch's.
        const dGamma = Float32Array.from({ length: C }, (_, c) => sg[C + c] * rstd[c]);
        const dBeta = sg.slice(0, C);
        const total = teamSum(sg);
        const coef = new Float32Array(5 * C);
        coef.set(scale, 3 * C);
        coef.set(shift, 4 * C);
        for (let c = 0; c < C; c++) {
          const a = g[c] * rstd[c];
          coef[c] = a;
          coef[C + c] = (-a * total[c]) / o.count;
          coef[2 * C + c] = (-a * rstd[c] * rstd[c] * total[C + c]) / o.count;
        }
        const dx = tf.tidy(() => run(KERNELS.gradInput, { dy, x: xs, mean: ms, coef: tf.tensor1d(coef) }, { relu: o.relu }));
        return [dx, tf.tensor1d(dGamma), tf.tensor1d(dBeta)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, gamma, beta);
}
