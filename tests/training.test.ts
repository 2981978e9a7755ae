/**
 * Whole training steps, not single kernels: the class-weighted loss is the per-sample weighted
 * mean (PyTorch's CrossEntropyLoss(weight=w)), and the same network, data and seed trained on
 * the wasm backend (with our kernels) and on the reference cpu backend give the same losses,
 * weights and predictions, for the CNN (batch norm in training and inference mode) and the ViT.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { tf, tensorBackend } from '../models/backend.ts';
import { weightedCrossEntropy, NeuralClassifier, mixBatch } from '../models/neural.ts';
import { Cnn } from '../models/cnn.ts';
import { VisionTransformer } from '../models/vit.ts';
import type { CnnParams, VitParams } from '../models/params.ts';
import { DEFAULT_PARAMS } from '../models/registry.ts';
import type { Batch } from '../core/batch.ts';
import { Rng } from '../core/random.ts';

const K = 3;
/** n images of H × W with a class-dependent band of energy, imbalanced classes (60% class 0). */
function images(n: number, h = 16, w = 24, seed = 'imgs'): Batch {
  const rng = new Rng(seed);
  const y = Int32Array.from({ length: n }, (_, i) => (i % 10 < 6 ? 0 : i % 10 < 8 ? 1 : 2));
  const x = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) x[(i * h + r) * w + c] = rng.normal() + (Math.floor((r * K) / h) === y[i] ? 1.5 : 0);
  return { n, sampleShape: [h, w], x, y };
}

const cnnParams: CnnParams = { ...DEFAULT_PARAMS.cnn, filters: [4, 8], dense: 8, dropout: 0, batch_size: 8, epochs: 3, patience: 10, learning_rate: 0.01 };
const vitParams: VitParams = {
  ...DEFAULT_PARAMS.vit,
  stem: 'patch',
  pool: 'class',
  patch: 4,
  dim: 8,
  depth: 1,
  heads: 2,
  mlp_dim: 16,
  dropout: 0,
  batch_size: 8,
  epochs: 3,
  patience: 10,
  learning_rate: 0.01,
};

let before: string;
beforeAll(async () => {
  await tensorBackend(); // registers our wasm kernels when wasm is the backend
  before = tf.getBackend();
});
afterAll(async () => {
  await tf.setBackend(before);
});

describe('class-weighted cross-entropy', () => {
  it('is the per-sample weighted mean Σ w_y·ce / Σ w_y, not mean(ce)·mean(w)', () => {
    const logits = [
      [2, 0.5, -1],
      [0.1, 0.2, 0.3],
      [-1, 3, 0],
      [0, 0, 4],
      [1, 1, 1],
    ];
    const y = [0, 0, 1, 2, 0];
    const w = [0.5, 2, 3];
    const ce = logits.map((l, i) => Math.log(l.reduce((a, v) => a + Math.exp(v), 0)) - l[y[i]]);
    const expected = ce.reduce((a, c, i) => a + w[y[i]] * c, 0) / y.reduce((a, c) => a + w[c], 0);
    const got = tf.tidy(() => weightedCrossEntropy(tf.tensor1d(w))(tf.oneHot(tf.tensor1d(y, 'int32'), K), tf.tensor2d(logits)).dataSync()[0]);
    expect(got).toBeCloseTo(expected, 5);
    const rescaled = (ce.reduce((a, c) => a + c, 0) / ce.length) * (y.reduce((a, c) => a + w[c], 0) / y.length);
    expect(Math.abs(got - rescaled)).toBeGreaterThan(0.1); // what tfjs classWeight on a reduced loss gave
  });

  it.each([
    ['cnn', () => new Cnn(K, { ...cnnParams, epochs: 1, batch_size: 64, learning_rate: 0 })],
    ['vit', () => new VisionTransformer(K, { ...vitParams, epochs: 1, batch_size: 64, learning_rate: 0 })],
  ] as const)('%s trains on it: with a learning rate of 0, one full batch, the reported loss is the hand-computed weighted mean', async (_, make) => {
    const train = images(40);
    const m = make();
    const fit = await m.fit(train, undefined, { seed: 3 });
    // Recompute the same forward pass (training mode: batch statistics, no dropout) and the loss by hand.
    const inner = m as unknown as { model: tf.LayersModel; tensor(b: Batch, rows: ArrayLike<number>): tf.Tensor4D };
    const rows = Array.from({ length: train.n }, (_, i) => i);
    const logits = tf.tidy(() => (inner.model.apply(inner.tensor(train, rows), { training: true }) as tf.Tensor2D).arraySync());
    const counts = [0, 0, 0];
    for (const c of train.y!) counts[c]++;
    const w = counts.map((c) => train.n / (K * c)); // balanced weights
    const ce = logits.map((l, i) => {
      const m0 = Math.max(...l);
      return m0 + Math.log(l.reduce((a, v) => a + Math.exp(v - m0), 0)) - l[train.y![i]];
    });
    const expected = ce.reduce((a, c, i) => a + w[train.y![i]] * c, 0) / Array.from(train.y!).reduce((a, c) => a + w[c], 0);
    expect(fit.history![0].loss).toBeCloseTo(expected, 4);
  });
});

/** Train on one backend and return the losses, the final weights and test probabilities. */
async function trainOn(backend: string, make: () => NeuralClassifier, train: Batch, val: Batch, test: Batch) {
  await tf.setBackend(backend);
  const m = make();
  const fit = await m.fit(train, val, { seed: 11 });
  const model = (m as unknown as { model: tf.LayersModel }).model;
  const weights = model.getWeights().map((t) => Array.from(t.dataSync()));
  const names = model.weights.map((w) => w.originalName);
  const probs = Array.from(await m.predictProba(test));
  return { losses: fit.history!.map((h) => [h.loss, h.valLoss!]), weights, names, probs };
}

describe('whole training steps: wasm (with our kernels) against the cpu backend', () => {
  it.each([
    ['cnn', () => new Cnn(K, cnnParams)],
    ['vit', () => new VisionTransformer(K, vitParams)],
    // Strided 3×3 convolutions with batch norm (the dilated input gradient), the mean of tokens.
    ['vit with a conv stem and mean pooling', () => new VisionTransformer(K, { ...vitParams, stem: 'conv', pool: 'mean' })],
    ['vit with the default cnn stem and mean pooling', () => new VisionTransformer(K, { ...vitParams, stem: 'cnn', pool: 'mean' })],
  ] as const)(
    '%s: same losses, weights and predictions after 3 epochs',
    async (_, make) => {
      if (!tf.findBackend('wasm')) return; // only the cpu backend on this machine: nothing to compare
      const train = images(48, 16, 24, 'train'),
        val = images(16, 16, 24, 'val'),
        test = images(16, 16, 24, 'test');
      const cpu = await trainOn('cpu', make as () => NeuralClassifier, train, val, test);
      const wasm = await trainOn('wasm', make as () => NeuralClassifier, train, val, test);
      for (let e = 0; e < cpu.losses.length; e++)
        for (let j = 0; j < 2; j++)
          expect(Math.abs(wasm.losses[e][j] - cpu.losses[e][j]), `epoch ${e + 1} ${j ? 'val' : 'train'} loss`).toBeLessThan(
            2e-4 * Math.max(1, cpu.losses[e][j]),
          );
      // Attention key biases are left out: their gradient is exactly 0 in exact arithmetic (a bias
      // on the keys adds the same q·b to every score of a query, which softmax ignores), so both
      // backends see float noise of ~1e-9, which Adam's normalisation turns into ±lr steps of
      // either sign. Every other gradient agrees to ~1e-6 of its scale (measured).
      let worst = 0;
      cpu.weights.forEach((wc, i) => {
        if (/k_bias/.test(cpu.names[i])) return;
        wc.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - wasm.weights[i][j]) / Math.max(1, Math.abs(v)))));
      });
      expect(worst, 'largest weight difference').toBeLessThan(1e-3);
      const dp = Math.max(...cpu.probs.map((p, i) => Math.abs(p - wasm.probs[i])));
      expect(dp, 'largest probability difference (inference mode)').toBeLessThan(1e-3);
    },
    120_000,
  );
});

describe('a fit leaves nothing behind in the backend', () => {
  it.each([
    ['cnn', () => new Cnn(K, cnnParams)],
    ['vit', () => new VisionTransformer(K, vitParams)],
  ] as const)(
    '%s: refitting and predicting hold the tensor count (Adam moments and label tensors were kept before)',
    async (_, make) => {
      const train = images(40, 16, 24, 'train'),
        val = images(16, 16, 24, 'val');
      const m = (make as () => NeuralClassifier)();
      await m.fit(train, val, { seed: 1 });
      const held = tf.memory().numTensors;
      await m.fit(train, val, { seed: 2 });
      await m.predictProba(val);
      await m.fit(train, val, { seed: 3 });
      expect(tf.memory().numTensors).toBe(held);
    },
    60_000,
  );
});

describe('mixup', () => {
  it('Beta(α, α) draws have its mean and variance; Gamma(k) its mean, for k under and over 1', () => {
    const rng = new Rng('beta');
    for (const a of [0.2, 0.4, 2]) {
      const xs = Array.from({ length: 20000 }, () => rng.beta(a, a));
      const mean = xs.reduce((p, q) => p + q, 0) / xs.length;
      const variance = xs.reduce((p, q) => p + (q - mean) ** 2, 0) / xs.length;
      expect(Math.abs(mean - 0.5), `α ${a}: mean`).toBeLessThan(0.01);
      expect(Math.abs(variance - 1 / (4 * (2 * a + 1))), `α ${a}: variance`).toBeLessThan(0.005);
      expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
    }
    for (const k of [0.3, 1, 3.5]) {
      const m = Array.from({ length: 20000 }, () => rng.gamma(k)).reduce((p, q) => p + q, 0) / 20000;
      expect(Math.abs(m - k) / k, `Gamma(${k})`).toBeLessThan(0.03);
    }
  });

  it('mixes each row with a partner row of the same batch at one λ, the partner labels beside; α = 0 or one row leaves the batch as it is', () => {
    const d = 3,
      y = Int32Array.from([0, 1, 2, 1]);
    const x = Float32Array.from({ length: 4 * d }, (_, i) => Math.floor(i / d) * 10 + (i % d));
    const { x: m, mix } = mixBatch(x, y, d, 0.4, new Rng('m'));
    expect(mix!.lambda).toBeGreaterThan(0);
    expect(mix!.lambda).toBeLessThan(1);
    const partner = Array.from({ length: 4 }, (_, i) => (m[i * d] - mix!.lambda * x[i * d]) / (1 - mix!.lambda) / 10);
    expect([...partner].map(Math.round).sort()).toEqual([0, 1, 2, 3]);
    partner.forEach((p, i) => {
      expect(mix!.y[i]).toBe(y[Math.round(p)]);
      for (let j = 0; j < d; j++) expect(m[i * d + j]).toBeCloseTo(mix!.lambda * x[i * d + j] + (1 - mix!.lambda) * x[Math.round(p) * d + j], 4);
    });
    expect(mixBatch(x, y, d, 0, new Rng('m')).x).toBe(x);
    expect(mixBatch(x.subarray(0, d), y.subarray(0, 1), d, 0.4, new Rng('m')).mix).toBeUndefined();
  });

  it('a fit with mixup repeats exactly, differs from one without, and still learns', async () => {
    const train = images(64, 16, 24, 'mix-train'),
      val = images(24, 16, 24, 'mix-val');
    const fit = async (mixup: number) => {
      const m = new Cnn(K, { ...cnnParams, epochs: 6, mixup });
      const f = await m.fit(train, val, { seed: 3 });
      return { losses: f.history!.map((h) => h.loss), valUar: f.history!.at(-1)!.valUar! };
    };
    const [a, b, off] = [await fit(0.4), await fit(0.4), await fit(0)];
    expect(a.losses).toEqual(b.losses);
    expect(a.losses[0]).not.toBe(off.losses[0]);
    expect(a.valUar).toBeGreaterThan(0.6);
  }, 60_000);
});

describe('one network trained by a team of threads (synchronous data parallelism, #12)', () => {
  // Batch norm (synchronized across the team) and dropout (masks drawn per sample) both on; 49
  // samples in batches of 8 give a last batch of one row, which thread 0 computes alone.
  const teamCnn: CnnParams = { ...cnnParams, dropout: 0.3, epochs: 2 };
  const teamVit: VitParams = { ...vitParams, stem: 'conv', pool: 'mean', dropout: 0.2, epochs: 2 };
  it.each([
    ['cnn', () => new Cnn(K, teamCnn)],
    ['vit (conv stem)', () => new VisionTransformer(K, teamVit)],
    ['cnn with mixup', () => new Cnn(K, { ...teamCnn, mixup: 0.4 })],
  ] as const)(
    '%s: two threads, or a team grown from one to two between epochs, give the losses, weights and predictions of one, up to float rounding',
    async (_, make) => {
      const train = images(49, 16, 24, 'train'),
        val = images(16, 16, 24, 'val'),
        test = images(16, 16, 24, 'test');
      const run = async (threads: number, cores?: () => number) => {
        const m = (make as () => NeuralClassifier)();
        const fit = await m.fit(train, val, { seed: 5, threads, cores });
        const model = (m as unknown as { model: tf.LayersModel }).model;
        return {
          fit,
          losses: fit.history!.flatMap((h) => [h.loss, h.valLoss!]),
          // Attention key biases left out, as above: their gradient is float noise around 0.
          weights: model.weights.filter((w) => !/k_bias/.test(w.originalName)).map((w) => Array.from(w.read().dataSync())),
          probs: Array.from(await m.predictProba(test)),
        };
      };
      const one = await run(1);
      const two = await run(2);
      // A fit that starts alone and is given a second core after its first epoch (as a job
      // process is when another runs out of jobs): its team grows, carrying Adam's state over.
      const grown = await run(1, () => 2);
      expect(two.fit.notes.join(' ')).toMatch(/trained on 2 threads/);
      expect(grown.fit.notes.join(' ')).toMatch(/from epoch 2 on 2 threads/);
      for (const [name, other] of [
        ['two threads', two],
        ['grown to two', grown],
      ] as const) {
        one.losses.forEach((l, i) => expect(Math.abs(other.losses[i] - l), `${name}: loss ${i}`).toBeLessThan(1e-4 * Math.max(1, l)));
        let worst = 0;
        one.weights.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - other.weights[i][j]) / Math.max(1, Math.abs(v))))));
        expect(worst, `${name}: largest weight difference`).toBeLessThan(1e-3);
        expect(Math.max(...one.probs.map((p, i) => Math.abs(p - other.probs[i]))), `${name}: largest probability difference`).toBeLessThan(1e-3);
      }
      // Not trivially equal: a different dropout seed gives other steps.
      const other = (make as () => NeuralClassifier)();
      const otherFit = await other.fit(train, val, { seed: 6, threads: 2 });
      expect(Math.abs(otherFit.history![0].loss - one.losses[0])).toBeGreaterThan(1e-4);
    },
    120_000,
  );

  it('a thread that cannot build its replica stops the fit with its reason; an aborted team throws at its next barrier', async () => {
    const { TrainingTeam } = await import('../models/training-team.ts');
    await expect(
      TrainingTeam.start(2, {
        family: 'no-such-family',
        params: {},
        k: K,
        sampleShape: [16, 24],
        weights: [],
        classWeights: [1, 1, 1],
        weightDecay: 0,
        dropoutSeed: 1,
      }),
    ).rejects.toThrow(/training thread 1: .*no-such-family/);
    const { Collective, collectiveMemory } = await import('../models/collective.ts');
    const c = new Collective(0, collectiveMemory(2, 4));
    c.abort('thread 1: out of memory');
    expect(() => c.sum(new Float32Array(3))).toThrow('a training thread failed: thread 1: out of memory');
  });
});
