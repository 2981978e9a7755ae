/** Batch norm fused with its ReLU (models/batch-norm-relu.ts) against the same maths in tfjs ops. */
import { describe, it, expect, beforeAll } from 'vitest';
import { tf, tensorBackend } from '../models/backend.ts';
import { batchNormReluInference, batchNormReluTraining, fusable } from '../models/batch-norm-relu.ts';

const EPS = 1e-3;

/** The unfused reference: the batch's statistics, normalize, scale and shift, ReLU. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, relu: boolean): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.add(tf.mul(tf.sub(x, mean), tf.mul(gamma, tf.rsqrt(tf.add(variance, EPS)))), beta);
  return relu ? tf.relu(y) : y;
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
const scaleOf = (a: tf.Tensor) => Math.max(1, tf.max(tf.abs(a)).dataSync()[0]);

describe('batch norm + ReLU, fused', () => {
  let backends: string[] = [];
  beforeAll(async () => {
    await tensorBackend();
    backends = [...new Set([tf.getBackend(), 'cpu'])];
  });

  it('gives the values and the gradients (x, γ, β) of the unfused ops, in training, on each backend', async () => {
    for (const backend of backends) {
      await tf.setBackend(backend);
      for (const [shape, relu] of [
        [[4, 16, 12, 16], true],
        [[3, 5, 7, 8], false],
        [[6, 20], true],
      ] as [number[], boolean][]) {
        const C = shape.at(-1)!;
        const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 0.5);
        const gamma = tf.randomUniform([C], 0.5, 1.5, 'float32', 2);
        const beta = tf.randomNormal([C], 0, 0.5, 'float32', 3);
        const w = tf.randomNormal(shape, 0, 1, 'float32', 4);
        expect(fusable(x)).toBe(true);
        const stats: { mean: Float32Array; variance: Float32Array }[] = [];
        const fused = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          batchNormReluTraining(a, g, b, { epsilon: EPS, relu, collective: null, count: a.size / C, onStatistics: (s) => stats.push(s) });
        const yF = fused(x, gamma, beta),
          yR = reference(x, gamma, beta, relu);
        expect(maxDiff(yF, yR), `${backend} ${shape} y`).toBeLessThan(1e-5 * scaleOf(yR));
        const loss = (f: typeof fused) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), w));
        const gF = tf.grads(loss(fused))([x, gamma, beta]);
        const gR = tf.grads(loss((a, g, b) => reference(a, g, b, relu)))([x, gamma, beta]);
        ['x', 'γ', 'β'].forEach((name, i) => expect(maxDiff(gF[i], gR[i]), `${backend} ${shape} d${name}`).toBeLessThan(2e-5 * scaleOf(gR[i])));
        // The statistics handed on for the moving averages: the batch's mean and (biased) variance.
        const { mean, variance } = tf.moments(
          x,
          shape.slice(0, -1).map((_, i) => i),
        );
        expect(maxDiff(tf.tensor1d(stats[0].mean), mean)).toBeLessThan(1e-5);
        expect(maxDiff(tf.tensor1d(stats[0].variance), variance)).toBeLessThan(1e-4);
      }
    }
  });

  it('in inference uses the given statistics; channels not a multiple of 4 are not fused', async () => {
    for (const backend of backends) {
      await tf.setBackend(backend);
      const x = tf.randomNormal([2, 3, 4, 8], 0, 1, 'float32', 5);
      const mean = Float32Array.from({ length: 8 }, (_, c) => c / 10),
        variance = Float32Array.from({ length: 8 }, (_, c) => 1 + c / 4),
        gamma = new Float32Array(8).fill(1.5),
        beta = new Float32Array(8).fill(-0.2);
      const y = batchNormReluInference(x, mean, variance, gamma, beta, EPS, true);
      const want = tf.relu(
        tf.add(tf.mul(tf.sub(x, tf.tensor1d(mean)), tf.mul(tf.tensor1d(gamma), tf.rsqrt(tf.add(tf.tensor1d(variance), EPS)))), tf.tensor1d(beta)),
      );
      expect(maxDiff(y, want), backend).toBeLessThan(1e-5);
      expect(fusable(tf.zeros([2, 3, 6]))).toBe(false);
    }
  });
});
