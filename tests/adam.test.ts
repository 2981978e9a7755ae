/** The fused Adam takes tfjs Adam's steps bit for bit, and reads and writes its state. */
import { describe, it, expect, beforeAll } from 'vitest';
import { tf, tensorBackend } from '../models/backend.ts';
import { FusedAdam } from '../models/adam.ts';
import { Rng } from '../core/random.ts';

const shapes = [[3, 3, 1, 4], [4], [7, 5], [5]];
const randoms = (rng: Rng, n: number, scale: number) => Float32Array.from({ length: n }, () => scale * (rng.next() * 2 - 1));

function variables(seed: number): tf.Variable[] {
  const rng = new Rng(seed);
  return shapes.map((s) =>
    tf.variable(
      tf.tensor(
        randoms(
          rng,
          s.reduce((a, b) => a * b, 1),
          1,
        ),
        s,
      ),
    ),
  );
}

/** Steps of tfjs's Adam then the decay product, as models/train-step.ts took them before. */
function tfjsSteps(vars: tf.Variable[], grads: Float32Array[][], lrs: number[], decay: number): tf.AdamOptimizer {
  const opt = tf.train.adam(lrs[0]);
  grads.forEach((g, step) => {
    (opt as unknown as { learningRate: number }).learningRate = lrs[step];
    const named: tf.NamedTensorMap = {};
    vars.forEach((v, i) => (named[v.name] = tf.tensor(g[i], v.shape)));
    opt.applyGradients(named as never);
    tf.dispose(Object.values(named));
    tf.tidy(() => {
      for (const v of vars) if (v.shape.length >= 2) v.assign(tf.mul(v, 1 - lrs[step] * decay));
    });
  });
  return opt;
}

function gradients(seed: number, steps: number): Float32Array[][] {
  const rng = new Rng(seed);
  // Mixed scales, zeros and a tiny value: where float rounding differs first.
  return Array.from({ length: steps }, (_, t) =>
    shapes.map((s, i) => {
      const g = randoms(
        rng,
        s.reduce((a, b) => a * b, 1),
        10 ** (i - 2),
      );
      g[0] = t % 2 ? 0 : 1e-12;
      return g;
    }),
  );
}

const flat = (gs: Float32Array[]) => {
  const out = new Float32Array(gs.reduce((a, g) => a + g.length, 0));
  let at = 0;
  for (const g of gs) out.set(g, (at += g.length) - g.length);
  return out;
};

describe('FusedAdam', () => {
  let backends: string[] = [];
  beforeAll(async () => {
    await tensorBackend(); // wasm here when it loads (in-place writes), and cpu
    backends = [...new Set([tf.getBackend(), 'cpu'])];
  });

  it('gives the weights of tf.train.adam followed by the decay product, bit for bit, on each backend', async () => {
    for (const backend of backends) {
      await tf.setBackend(backend);
      const grads = gradients(3, 25);
      const lrs = grads.map((_, t) => 0.003 * (1 - t / 40));
      const a = variables(1),
        b = variables(1);
      tfjsSteps(a, grads, lrs, 0.01).dispose();
      const fused = new FusedAdam(b, (v) => v.shape.length >= 2);
      grads.forEach((g, t) => fused.step(flat(g), lrs[t], 0.01));
      a.forEach((v, i) => expect([backend, i, Array.from(b[i].dataSync())]).toEqual([backend, i, Array.from(v.dataSync())]));
      tf.dispose([...a, ...b]);
    }
  });

  it("writes tfjs's state layout, and a state saved by either goes on to the same weights, on each backend", async () => {
    for (const backend of backends) {
      await tf.setBackend(backend);
      const grads = gradients(5, 12);
      const lrs = grads.map(() => 0.001);
      const a = variables(2),
        b = variables(2);
      const opt = tfjsSteps(a, grads.slice(0, 6), lrs, 0);
      const saved = await opt.getWeights();
      // tfjs's order: the step count, the first moments, the second moments.
      const fused = new FusedAdam(b, () => false);
      grads.slice(0, 6).forEach((g) => fused.step(flat(g), 0.001, 0));
      const ours = fused.state();
      const layout = (vs: tf.Variable[]) => ['iter', ...vs.map((v) => `${v.name}/m`), ...vs.map((v) => `${v.name}/v`)];
      expect(saved.map((w) => w.name)).toEqual(layout(a));
      expect(ours.map((w) => w.name)).toEqual([...layout(b), 'accBeta1', 'accBeta2']);
      for (let i = 0; i < saved.length; i++) expect(Array.from(ours[i].data)).toEqual(Array.from(saved[i].tensor.dataSync()));
      // Resume from our state in a fresh optimizer, take the remaining steps: the same as never stopped.
      const c = b.map((v) => tf.variable(v.clone()));
      const resumed = new FusedAdam(c, () => false);
      resumed.load(ours);
      grads.slice(6).forEach((g) => {
        fused.step(flat(g), 0.001, 0);
        resumed.step(flat(g), 0.001, 0);
      });
      b.forEach((v, i) => expect(Array.from(c[i].dataSync())).toEqual(Array.from(v.dataSync())));
      expect(() => resumed.load(ours.slice(0, 3))).toThrow(/2 moment tensors, the network has 4 weight tensors/);
      opt.dispose();
      tf.dispose([...a, ...b, ...c]);
    }
  });

  it('gives each step new weight data, so that nothing holding the old (XNNPACK operators on wasm, aliases) sees a change', async () => {
    const [v] = variables(4);
    const fused = new FusedAdam([v], () => false);
    const before = Array.from(v.dataSync());
    const alias = tf.reshape(v, [v.size]); // shares v's data
    const id = v.dataId;
    fused.step(new Float32Array(v.size).fill(1), 0.1, 0);
    expect(v.dataId).not.toBe(id);
    expect(Array.from(alias.dataSync())).toEqual(before);
    expect(Array.from(v.dataSync())).not.toEqual(before);
    tf.dispose([v, alias]);
  });
});
