/**
 * The networks' training options for a recipe: checkpoint selection on validation UAR, a cosine
 * learning-rate schedule, decoupled weight decay. Checked on the MLP (same loop as CNN and ViT).
 */
import { describe, it, expect } from 'vitest';
import { createClassifier, loadClassifier, DEFAULT_PARAMS } from '../models/registry.ts';
import { learningRate, unweightedRecall } from '../models/neural.ts';
import type { Batch } from '../core/batch.ts';
import type { Classifier } from '../models/classifier.ts';
import { Rng } from '../core/random.ts';

/** Vectors whose class shows through noise; class 0 is five times as common as the others. */
function data(n: number, seed: number): Batch {
  const rng = new Rng(seed);
  const y = Int32Array.from({ length: n }, () => (rng.next() < 0.5 ? 0 : 1 + rng.int(3)));
  const x = new Float32Array(n * 6);
  for (let i = 0; i < n; i++) for (let j = 0; j < 6; j++) x[i * 6 + j] = rng.normal() * 1.2 + (j === y[i] ? 1 : 0);
  return { n, sampleShape: [6], x, y };
}

const weightsNorm = async (m: Classifier) => {
  const j = (await m.toJSON()) as unknown as { weights: string; weightSpecs: { name: string; shape: number[] }[] };
  const buf = Buffer.from(j.weights, 'base64');
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  let at = 0,
    sq = 0;
  for (const spec of j.weightSpecs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.shape.length >= 2) for (let i = at; i < at + size; i++) sq += all[i] ** 2;
    at += size;
  }
  return Math.sqrt(sq);
};

describe('training recipe options', () => {
  it('UAR is the mean recall over the classes present', () => {
    expect(unweightedRecall([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 4)).toBeCloseTo((1 / 2 + 2 / 3) / 2, 12);
  });

  it('cosine schedule: the full rate at epoch 1, halved mid-way, near 0 at the last epoch; each epoch logs its rate', async () => {
    const s = { ...DEFAULT_PARAMS.mlp, learning_rate: 0.01, epochs: 10, lr_schedule: 'cosine' as const };
    expect(learningRate(s, 1)).toBeCloseTo(0.01, 12);
    expect(learningRate(s, 6)).toBeCloseTo(0.005, 12);
    expect(learningRate(s, 10)).toBeCloseTo(0.01 * 0.5 * (1 + Math.cos((Math.PI * 9) / 10)), 12);
    expect(learningRate({ ...s, lr_schedule: 'constant' }, 10)).toBe(0.01);
    const m = await createClassifier({ type: 'mlp', params: { ...s, hidden: [8], patience: 100 } } as never, 4);
    const fit = await m.fit(data(64, 1), undefined, { seed: 1 });
    expect(fit.history!.map((h) => h.lr)).toEqual(Array.from({ length: 10 }, (_, i) => learningRate(s, i + 1)));
  });

  it('monitor: uar keeps the epoch of the best validation UAR, not of the best validation loss', async () => {
    const params = { ...DEFAULT_PARAMS.mlp, hidden: [16], epochs: 25, patience: 100, learning_rate: 0.02, class_weights: false };
    const train = data(200, 2),
      val = data(80, 3);
    const byUar = await createClassifier({ type: 'mlp', params: { ...params, monitor: 'uar' } } as never, 4);
    const fit = await byUar.fit(train, val, { seed: 4 });
    const uars = fit.history!.map((h) => h.valUar!);
    let best = 0;
    uars.forEach((u, i) => {
      if (u > uars[best] + 1e-4) best = i;
    });
    expect(fit.bestEpoch).toBe(best + 1);
    // The kept weights are that epoch's: their validation UAR is the best one.
    const p = await byUar.predictProba(val);
    const pred = Array.from({ length: val.n }, (_, i) => {
      const row = Array.from(p.subarray(i * 4, i * 4 + 4));
      return row.indexOf(Math.max(...row));
    });
    expect(unweightedRecall(pred, val.y!, 4)).toBeCloseTo(uars[best], 6);
    const byLoss = await createClassifier({ type: 'mlp', params: { ...params, monitor: 'loss' } } as never, 4);
    const fitLoss = await byLoss.fit(train, val, { seed: 4 });
    const losses = fitLoss.history!.map((h) => h.valLoss!);
    expect(fitLoss.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
  });

  it('weight decay shrinks the kernels (not the biases) and leaves a run without it unchanged', async () => {
    const params = { ...DEFAULT_PARAMS.mlp, hidden: [16], epochs: 8, patience: 100, learning_rate: 0.01 };
    const train = data(96, 5);
    const fit = async (weight_decay: number) => {
      const m = await createClassifier({ type: 'mlp', params: { ...params, weight_decay } } as never, 4);
      await m.fit(train, undefined, { seed: 6 });
      return m;
    };
    const [none, none2, strong] = [await fit(0), await fit(0), await fit(2)];
    expect(await weightsNorm(none)).toBe(await weightsNorm(none2));
    expect(await weightsNorm(strong)).toBeLessThan(0.8 * (await weightsNorm(none)));
  });

  it("the CNN's batch-norm momentum is its own setting: the saved model keeps it and reloads to the same predictions", async () => {
    const rng = new Rng(9);
    const n = 8,
      [H, W] = [8, 12];
    const batch: Batch = {
      n,
      sampleShape: [H, W],
      x: new Float32Array(n * H * W).map(() => rng.normal() * 3 + 2),
      y: Int32Array.from({ length: n }, (_, i) => i % 2),
    };
    const params = { ...DEFAULT_PARAMS.cnn, filters: [4], dense: 4, epochs: 1, batch_size: n, bn_momentum: 0.5 };
    const m = await createClassifier({ type: 'cnn', params } as never, 2);
    await m.fit(batch, undefined, { seed: 1 });
    const j = (await m.toJSON()) as unknown as { topology: { config: { layers: { class_name: string; config: { momentum?: number } }[] } } };
    const bn = j.topology.config.layers.filter((l) => l.class_name === 'SerbenchBatchNorm');
    expect(bn.map((l) => l.config.momentum)).toEqual([0.5]);
    const again = await loadClassifier(JSON.parse(JSON.stringify(await m.toJSON())));
    expect(await again.predictProba(batch)).toEqual(await m.predictProba(batch));
  });
});
