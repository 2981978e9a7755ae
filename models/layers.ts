/**
 * Normalization layers with cheap gradients on every backend. tfjs-layers' own
 * LayerNormalization and BatchNormalization tile their statistics and parameters to the
 * input's full shape, and tile's gradient is a slice-and-add loop over every position: that
 * loop was 70% of a ViT and 35% of a CNN training step on wasm. Broadcasting arithmetic does
 * the same maths with one reduction in the backward pass.
 */
import { tf } from './backend.ts';
import { allReduceSum } from './collective.ts';
import { trainingStep } from './step-context.ts';
import { hashString } from '../core/random.ts';
import { batchNormReluInference, batchNormReluTraining, fusable } from './batch-norm-relu.ts';

type Kwargs = { training?: boolean };

/**
 * Layer normalization over the last axis. tfjs-layers' own layer tiles gamma and beta to the
 * input's full shape, and tile's gradient is a slice-and-add loop over every position (70% of
 * a ViT training step on wasm); broadcasting arithmetic has cheap gradients.
 */
export class LayerNorm extends tf.layers.Layer {
  static className = 'SerbenchLayerNorm';
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = (inputShape as number[]).at(-1)!;
    this.gamma = this.addWeight('gamma', [d], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [d], 'float32', tf.initializers.zeros());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      // Multiplying by rsqrt (computed on the statistics) instead of dividing the whole input
      // keeps the big tensors out of division's costlier gradient.
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-6))), this.gamma.read()), this.beta.read());
    });
  }
}

/**
 * Batch normalization over every axis but the last (channels), with moving statistics for
 * inference, optionally followed by a ReLU (`relu: true`): the pair then runs as one fused op
 * (models/batch-norm-relu.ts) where the backend has its kernels.
 */
export class BatchNorm extends tf.layers.Layer {
  static className = 'SerbenchBatchNorm';
  /** Weight of the old moving statistics per step (Keras' momentum; PyTorch's is 1 − this). */
  readonly momentum: number;
  readonly relu: boolean;
  readonly epsilon = 1e-3;
  constructor(args: ConstructorParameters<typeof tf.layers.Layer>[0] & { momentum?: number; relu?: boolean } = {}) {
    super(args);
    // Models saved before the setting existed used 0.99.
    this.momentum = args.momentum ?? 0.99;
    this.relu = args.relu ?? false;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, ...(this.relu ? { relu: true } : {}) };
  }
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;
  private movingMean!: tf.LayerVariable;
  private movingVariance!: tf.LayerVariable;
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = (inputShape as number[]).at(-1)!;
    this.gamma = this.addWeight('gamma', [d], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [d], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [d], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [d], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }
  /**
   * The batch's mean and variance per channel. When the batch is spread over a team of threads
   * (synchronized batch norm), from the team's sums, differentiably (see allReduceSum).
   */
  private batchStatistics(x: tf.Tensor, axes: number[]): { mean: tf.Tensor; variance: tf.Tensor } {
    const step = trainingStep();
    if (!step?.collective) return tf.moments(x, axes);
    const count = step.batchRows * (x.size / (x.shape[0]! * x.shape.at(-1)!));
    const mean = tf.div(allReduceSum(step.collective, tf.sum(x, axes)), count);
    const variance = tf.div(allReduceSum(step.collective, tf.sum(tf.square(tf.sub(x, mean)), axes)), count);
    return { mean, variance };
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (fusable(x)) return this.fused(x, Boolean(kwargs?.training));
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const y = tf.tidy(() => {
      let mean: tf.Tensor, variance: tf.Tensor;
      if (kwargs?.training) {
        ({ mean, variance } = this.batchStatistics(x, axes));
        this.updateMoving(mean, variance);
      } else {
        mean = this.movingMean.read();
        variance = this.movingVariance.read();
      }
      // One per-channel factor, gamma / sqrt(var + eps): the input is touched by one subtraction,
      // one product and one sum, whose gradients are cheap (no division of the full tensor).
      const scale = tf.mul(this.gamma.read(), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(tf.sub(x, mean), scale), this.beta.read());
    });
    return this.relu ? tf.tidy(() => tf.relu(y)) : y;
  }

  /** The same maths as one fused op: the batch's (or team's) statistics in training, the moving ones otherwise. */
  private fused(x: tf.Tensor, training: boolean): tf.Tensor {
    const read = (w: tf.LayerVariable) => w.read().dataSync() as Float32Array;
    if (!training)
      return batchNormReluInference(x, read(this.movingMean), read(this.movingVariance), read(this.gamma), read(this.beta), this.epsilon, this.relu);
    const step = trainingStep();
    const collective = step?.collective ?? null;
    const perRow = x.size / (x.shape[0]! * x.shape.at(-1)!);
    return batchNormReluTraining(x, this.gamma.read(), this.beta.read(), {
      epsilon: this.epsilon,
      relu: this.relu,
      collective,
      count: (collective ? step!.batchRows : x.shape[0]!) * perRow,
      onStatistics: ({ mean, variance }) => tf.tidy(() => this.updateMoving(tf.tensor1d(mean), tf.tensor1d(variance))),
    });
  }

  /** Keras' update: moving = moving·m + batch·(1 − m); the loss does not depend on it. */
  private updateMoving(mean: tf.Tensor, variance: tf.Tensor): void {
    const m = this.momentum;
    const newMean = tf.tidy(() => tf.add(tf.mul(this.movingMean.read(), m), tf.mul(mean, 1 - m)));
    const newVar = tf.tidy(() => tf.add(tf.mul(this.movingVariance.read(), m), tf.mul(variance, 1 - m)));
    this.movingMean.write(newMean);
    this.movingVariance.write(newVar);
  }
}

/**
 * Dropout with a mask drawn per sample from (the fit's seed, the step, the layer's place in the
 * forward pass, the sample's index in the batch), so that the mask does not depend on which
 * thread computes the sample (tfjs' dropout draws one mask for the whole tensor from one
 * stream). Kept units are scaled by 1 / (1 − rate), as tfjs does; inference is the identity.
 */
export class SampleDropout extends tf.layers.Layer {
  static className = 'SerbenchDropout';
  readonly rate: number;
  constructor(args: ConstructorParameters<typeof tf.layers.Layer>[0] & { rate: number }) {
    super(args);
    this.rate = args.rate;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs?.training || this.rate === 0) return x;
    const step = trainingStep();
    if (!step) throw new Error('dropout in training mode outside a training step (models/neural.ts sets one)');
    const layer = step.dropoutLayers++;
    const rows = x.shape[0]!,
      per = x.size / rows,
      keep = 1 - this.rate,
      scale = Math.fround(1 / keep);
    const mask = new Float32Array(x.size);
    for (let i = 0; i < rows; i++) {
      let state = hashString(`${step.seed}:${step.step}:${layer}:${step.rowOffset + i}`) | 0;
      for (let j = 0, at = i * per; j < per; j++, at++) {
        // mulberry32 (core/random.ts), inlined: a ViT step draws ~10^6 of these.
        let t = (state = (state + 0x6d2b79f5) | 0);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        if (((t ^ (t >>> 14)) >>> 0) / 4294967296 >= this.rate) mask[at] = scale;
      }
    }
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape)));
  }
}

/** tfjs-layers' Conv2D class (not exported by name). */
const Conv2DLayer = (tf.layers.conv2d({ filters: 1, kernelSize: 1 }) as any).constructor as new (args: object) => tf.layers.Layer;

/**
 * A network's first convolution, which reads the input image: tfjs-layers' Conv2D calls the
 * fused convolution, whose gradient computes the input's gradient too, though nothing needs the
 * gradient of the data (5–9% of a training epoch on wasm). The plain convolution's gradient is
 * computed only for the inputs that lead to a weight. Same weights and configuration as Conv2D.
 */
export class InputConv2D extends (Conv2DLayer as unknown as typeof tf.layers.Layer) {
  static className = 'SerbenchInputConv2D';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const c = this as unknown as {
      kernel: tf.LayerVariable;
      bias: tf.LayerVariable | null;
      strides: [number, number];
      padding: string;
      dataFormat: string;
      dilationRate: [number, number];
      activation: { apply(x: tf.Tensor): tf.Tensor } | null;
    };
    if (c.dataFormat !== 'channelsLast') throw new Error(`InputConv2D: only channelsLast, got ${c.dataFormat}`);
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.tidy(() => {
      let y: tf.Tensor = tf.conv2d(x, c.kernel.read() as tf.Tensor4D, c.strides, c.padding === 'same' ? 'same' : 'valid', 'NHWC', c.dilationRate);
      if (c.bias) y = tf.add(y, c.bias.read());
      return c.activation ? c.activation.apply(y) : y;
    });
  }
}

/** The first convolution of a network (see InputConv2D), with tf.layers.conv2d's arguments. */
export const inputConv2d = (args: Parameters<typeof tf.layers.conv2d>[0]): tf.layers.Layer =>
  new (InputConv2D as unknown as new (a: object) => tf.layers.Layer)(args);

for (const c of [LayerNorm, BatchNorm, SampleDropout, InputConv2D]) tf.serialization.registerClass(c as any);
