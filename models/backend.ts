/**
 * The tensor backend, chosen here and nowhere else: @tensorflow/tfjs-node when it is installed
 * (an optional dependency: its install downloads libtensorflow), else the wasm backend with the
 * one training kernel it lacks (Conv2DBackpropFilter) registered by us, else the pure-JS cpu
 * backend. `SERBENCH_BACKEND=cpu|wasm|tensorflow` forces one.
 */
import * as tf from '@tensorflow/tfjs';

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
        registerWasmConv2DBackpropFilter();
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
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

/**
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s+kh−pt, ow·s+kw−pl, ci] · dy[b,oh,ow,co]: a convolution
 * of x transposed to [ci, H, W, b] with dy transposed to a [oh, ow, b, co] filter dilated by the
 * stride, then transposed back. Checked against the cpu backend's kernel in tests.
 */
export function registerWasmConv2DBackpropFilter(): void {
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  registered = true;
  const call = (name: string, args: { inputs: any; backend: any; attrs?: any }) => tf.getKernel(name, 'wasm')!.kernelFunc(args as any) as tf.TensorInfo;
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
      const [, oh, ow] = dy.shape;
      const { top, left } = info.padInfo;
      const bottom = Math.max(0, kh + (oh - 1) * sh - H - top);
      const right = Math.max(0, kw + (ow - 1) * sw - W - left);
      const xT = call('Transpose', { inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      const dyT = call('Transpose', { inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      const conv = call('Conv2D', {
        inputs: { x: xT, filter: dyT },
        backend,
        attrs: {
          strides: [1, 1],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [sh, sw],
          dimRoundingMode: undefined,
        },
      });
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

export { tf };
