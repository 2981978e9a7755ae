import { describe, it, expect, beforeAll } from 'vitest';
import { synthesizeCorpus, DEFAULT_SYNTHETIC } from '../datasets/corpora/synthetic.ts';
import { extractFeatures } from '../datasets/features/extract.ts';
import { FeatureCache } from '../datasets/features/cache.ts';
import { makeFolds } from '../harness/splits.ts';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createClassifier, loadClassifier, MODEL_FAMILIES, MODEL_TYPES, type ModelFamily } from '../models/registry.ts';
import type { FeatureKind } from '../datasets/features/registry.ts';
import type { Batch } from '../core/batch.ts';
import type { ModelSpec, FeatureSettings } from '../harness/suite.ts';
import { tf, registerWasmTrainingKernels, tensorBackend } from '../models/backend.ts';

// A small synthetic corpus, speaker-independent split: enough to show learning, fast to train.
const clips = synthesizeCorpus({ ...DEFAULT_SYNTHETIC, speakersPerCorpus: 8, clipsPerEmotion: 6, emotions: ['neutral', 'happy', 'sad', 'angry'] }).clips;
const classes = ['neutral', 'happy', 'sad', 'angry'];
const labels = Int32Array.from(clips, (c) => classes.indexOf(c.emotion));
const settings: FeatureSettings = { sample_rate: 16000, duration: 2, trim_db: 40, n_fft: 512, hop_length: 512, n_mels: 32, n_mfcc: 20 };
const [fold] = makeFolds(clips, { protocol: 'speaker-independent', test_fraction: 0.25, val_fraction: 0.15, folds: 5 }, 1);
const data: Partial<Record<FeatureKind, Record<'train' | 'val' | 'test', Batch>>> = {};

beforeAll(async () => {
  const cache = new FeatureCache(null);
  for (const kind of ['summary', 'logmel', 'waveform'] as const) {
    const batch = async (idx: number[]): Promise<Batch> => {
      const fs = [];
      for (const i of idx) fs.push((await extractFeatures({ clip: clips[i], kinds: [kind], settings, copy: 0, ops: [], seed: 1 }, cache))[kind]!);
      const d = fs[0].data.length;
      const x = new Float32Array(idx.length * d);
      fs.forEach((f, j) => x.set(f.data, j * d));
      return { n: idx.length, sampleShape: fs[0].shape, x, y: Int32Array.from(idx, (i) => labels[i]), ids: idx.map((i) => clips[i].id) };
    };
    data[kind] = { train: await batch(fold.train), val: await batch(fold.val), test: await batch(fold.test) };
  }
}, 120_000);

// Every family of the registry that trains, with its smoke params; a model of one's own through `type: module` (the example).
const specs = MODEL_TYPES.filter((t) => !MODEL_FAMILIES[t].pretrained).map((type) => {
  const fam = MODEL_FAMILIES[type] as ModelFamily<object>;
  return {
    name: type,
    type,
    features: fam.defaultFeatures === 'logmel' || fam.defaultFeatures === 'summary' ? fam.defaultFeatures : 'summary',
    params: { ...fam.defaults, ...fam.smoke },
    ...(type === 'module' ? { module: join(import.meta.dirname, '..', 'examples', 'nearest-centroid.ts') } : {}),
  } as ModelSpec;
});

it('the contract test covers every family of the registry', () => {
  expect([...specs.map((s) => s.type), ...pretrained.map((p) => p.type), ...virtual].sort()).toEqual([...MODEL_TYPES].sort());
  expect(MODEL_TYPES).toEqual(expect.arrayContaining(['cnn', 'vit', 'mlp', 'svm', 'tree', 'module']));
});

const accuracy = (p: Float32Array, y: Int32Array, k: number) => {
  let c = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[i * k + j] > p[i * k + best]) best = j;
    if (best === y[i]) c++;
  }
  return c / y.length;
};

/** The same batch behind a SampleReader, which checks the rows it is asked for. */
function onDemand(b: Batch): Batch {
  const x = b.x as Float32Array;
  const d = x.length / b.n;
  return {
    ...b,
    x: {
      read(rows, out) {
        for (let j = 0; j < rows.length; j++) {
          if (!(rows[j] >= 0 && rows[j] < b.n)) throw new Error(`row ${rows[j]} out of range`);
          out.set(x.subarray(rows[j] * d, (rows[j] + 1) * d), j * d);
        }
      },
    },
  };
}

/**
 * Families that train nothing (they bring their outputs, or a model made elsewhere) are held to the
 * same contract from a fixture each: valid probabilities for the suite's classes, the same twice,
 * the same after save and load. A new such family fails here until it has one.
 */
const FIXTURES: Record<string, (dir: string) => { params: Record<string, unknown>; features: FeatureKind }> = {
  predictions: (dir) => {
    const file = join(dir, 'outputs.csv');
    const rows = clips.map((c, i) => {
      const p = classes.map((_, j) => 1 + ((i * 7 + j * 3) % 5));
      const s = p.reduce((a, b) => a + b, 0);
      return [c.id, ...p.map((v) => (v / s).toFixed(8))].join(',');
    });
    writeFileSync(file, [['clip', ...classes.map((c) => `p_${c}`)].join(','), ...rows].join('\n') + '\n');
    return { params: { path: file }, features: 'none' };
  },
  onnx: () => ({
    params: {
      model: join(import.meta.dirname, 'fixtures', 'tiny-classifier', 'tiny-classifier.onnx'),
      labels: ['calm', 'angry', 'happy', 'neutral', 'sad'],
      drop_labels: true,
      normalize: true,
    },
    features: 'waveform',
  }),
};
const pretrained = MODEL_TYPES.filter((t) => MODEL_FAMILIES[t].pretrained && !MODEL_FAMILIES[t].virtual).map((type) => ({ type }));
// Families formed from others' jobs at evaluation (an ensemble) are no Classifier: tests/baselines.test.ts holds them.
const virtual = MODEL_TYPES.filter((t) => MODEL_FAMILIES[t].virtual);

describe.each(pretrained)('$type (trains nothing): one contract, probabilities out', ({ type }) => {
  it('gives valid probabilities of the suite classes, the same twice, and survives save/load', async () => {
    const fixture = FIXTURES[type];
    expect(fixture, `a contract fixture for family ${type} (tests/models.test.ts FIXTURES)`).toBeDefined();
    const { params, features } = fixture(mkdtempSync(join(tmpdir(), 'serbench-contract-')));
    const spec = { name: type, type, features, params: { ...(MODEL_FAMILIES[type] as ModelFamily<object>).defaults, ...params } } as ModelSpec;
    const d = features === 'none' ? { train: idOnly(fold.train), val: idOnly(fold.val), test: idOnly(fold.test) } : data[features]!;
    const k = classes.length;
    const job = { classes, seed: 1, modelSeed: 1, fold: fold.name, clipKeys: new Map(clips.map((c) => [c.id, c.id])) };
    const a = await createClassifier(spec, k);
    const report = await a.fit(d.train, d.val, { seed: 7, job });
    expect(report.notes.length).toBeGreaterThan(0);
    const p = await a.predictProba(d.test);
    expect(p.length).toBe(d.test.n * k);
    for (let i = 0; i < d.test.n; i++) expect(Math.abs(p.subarray(i * k, (i + 1) * k).reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-4);
    expect(Array.from(await a.predictProba(d.test))).toEqual(Array.from(p));
    const restored = await loadClassifier(JSON.parse(JSON.stringify(await a.toJSON())));
    // Imported outputs are per fold: a saved one names its file, and reads the fold's rows again when fitted.
    if (type === 'predictions') await restored.fit(d.train, d.val, { seed: 7, job });
    expect(Array.from(await restored.predictProba(d.test))).toEqual(Array.from(p));
  }, 120_000);
});

/** A batch of clips named, without features. */
const idOnly = (idx: number[]): Batch => ({
  n: idx.length,
  sampleShape: [0],
  x: new Float32Array(0),
  y: Int32Array.from(idx, (i) => labels[i]),
  ids: idx.map((i) => clips[i].id),
});

describe.each(specs)('$type: one contract, probabilities out', (spec) => {
  it('learns well above chance on held-out speakers, with valid probabilities, repeatably, and survives save/load', async () => {
    const d = data[spec.features]!;
    const k = classes.length;
    const a = await createClassifier(spec, k);
    const report = await a.fit(d.train, d.val, { seed: 7 });
    expect(report.seconds).toBeGreaterThan(0);
    expect(report.parameters).toBeGreaterThan(0);
    const p = await a.predictProba(d.test);
    expect(p.length).toBe(d.test.n * k);
    for (let i = 0; i < d.test.n; i++) {
      const row = p.subarray(i * k, (i + 1) * k);
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-4);
      expect(row.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    expect(accuracy(p, d.test.y!, k), `${spec.type} test accuracy`).toBeGreaterThan(0.45); // chance is 0.25

    // Same seed, same predictions — also when the samples are read on demand (as runs feed them).
    const b = await createClassifier(spec, k);
    await b.fit(onDemand(d.train), onDemand(d.val), { seed: 7 });
    expect(Array.from(await b.predictProba(onDemand(d.test)))).toEqual(Array.from(p));

    const restored = await loadClassifier(JSON.parse(JSON.stringify(await a.toJSON())));
    expect(Array.from(await restored.predictProba(d.test))).toEqual(Array.from(p));
  }, 240_000);
});

describe('tensor backend', () => {
  it('chooses a backend and records it', async () => {
    expect(['tensorflow', 'wasm', 'cpu']).toContain(await tensorBackend());
  });

  it('the wasm convolutions and their gradients (filter and input) match the cpu backend (same, strided and valid padding)', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
    const before = await tensorBackend();
    const cases: [[number, number, number, number], [number, number, number, number], number, 'same' | 'valid'][] = [
      [[2, 12, 10, 3], [3, 3, 3, 4], 1, 'same'],
      [[2, 11, 13, 2], [4, 2, 2, 3], 1, 'same'],
      [[2, 17, 13, 3], [5, 3, 3, 4], 2, 'same'],
      [[1, 9, 9, 2], [3, 3, 2, 2], 2, 'valid'],
      [[2, 10, 12, 3], [3, 5, 3, 2], 1, 'valid'],
      [[2, 16, 16, 1], [8, 8, 1, 6], 8, 'valid'],
      // The ViT's convolutional stem: 3×3 stride 2, even and odd sizes, one input channel.
      [[2, 16, 12, 4], [3, 3, 4, 8], 2, 'same'],
      [[2, 15, 11, 1], [3, 3, 1, 4], 2, 'same'],
      [[1, 10, 9, 3], [3, 3, 3, 5], 3, 'valid'],
      // Our stride-1 filter-gradient kernel's blocks: 4 input channels and a rest, 16 output
      // channels and a rest of 4, one input channel (the CNN's first layer), uneven padding.
      [[2, 12, 10, 5], [3, 3, 5, 16], 1, 'same'],
      [[2, 10, 9, 1], [3, 3, 1, 20], 1, 'same'],
      [[1, 9, 14, 8], [4, 2, 8, 32], 1, 'same'],
      [[2, 7, 8, 4], [2, 3, 4, 8], 1, 'valid'],
      // Our stride-1 convolution (8k output channels; every input gradient is one): blocks of
      // four pixels and the pixels at the padding, widths below four, taps larger than 3.
      [[2, 12, 10, 8], [3, 3, 8, 16], 1, 'same'],
      [[2, 9, 14, 16], [3, 3, 16, 8], 1, 'same'],
      [[2, 7, 9, 8], [2, 3, 8, 24], 1, 'valid'],
      [[3, 5, 3, 1], [3, 3, 1, 16], 1, 'same'],
      [[1, 6, 30, 16], [5, 5, 16, 8], 1, 'same'],
    ];
    for (const [xs, fs, stride, pad] of cases) {
      const grads: Record<string, Float32Array[]> = {};
      const forward: Record<string, Float32Array> = {};
      for (const name of ['cpu', 'wasm']) {
        await tf.setBackend(name);
        const x = tf.randomNormal(xs, 0, 1, 'float32', 1) as tf.Tensor4D;
        const f = tf.randomNormal(fs, 0, 1, 'float32', 2) as tf.Tensor4D;
        forward[name] = tf.conv2d(x, f, stride, pad).dataSync() as Float32Array;
        const loss = (a: tf.Tensor, w: tf.Tensor) =>
          tf
            .conv2d(a as tf.Tensor4D, w as tf.Tensor4D, stride, pad)
            .square()
            .sum();
        grads[name] = tf
          .grads(loss)([x, f])
          .map((g) => g.dataSync() as Float32Array);
      }
      const fscale = Math.max(...Array.from(forward.cpu, Math.abs));
      if (stride === 1 && fs[3] % 8 === 0) {
        // With a bias (the ViT's patch embedding): our convolution, the bias added after.
        const biased: Record<string, Float32Array> = {};
        for (const name of ['cpu', 'wasm']) {
          await tf.setBackend(name);
          const x = tf.randomNormal(xs, 0, 1, 'float32', 1) as tf.Tensor4D;
          const f = tf.randomNormal(fs, 0, 1, 'float32', 2) as tf.Tensor4D;
          biased[name] = tf.fused.conv2d({ x, filter: f, strides: stride, pad, bias: tf.randomNormal([fs[3]], 0, 1, 'float32', 3) }).dataSync() as Float32Array;
        }
        expect(Math.max(...Array.from(biased.cpu, (v, j) => Math.abs(v - biased.wasm[j]))) / fscale, `with bias: ${xs} ${fs}`).toBeLessThan(1e-5);
      }
      expect(
        Math.max(...Array.from(forward.cpu, (v, j) => Math.abs(v - forward.wasm[j]))) / fscale,
        `forward: ${xs} ${fs} stride ${stride} ${pad}`,
      ).toBeLessThan(1e-5);
      for (const [i, what] of ['input', 'filter'].entries()) {
        const [c, w] = [grads.cpu[i], grads.wasm[i]];
        const scale = Math.max(...Array.from(c, Math.abs));
        const diff = Math.max(...Array.from(c, (v, j) => Math.abs(v - w[j])));
        expect(diff / scale, `${what} gradient: ${xs} ${fs} stride ${stride} ${pad}`).toBeLessThan(1e-5);
      }
    }
    await tf.setBackend(before);
  });

  it('wasm matrix products match the cpu backend (transposed operands, batches, a shared operand)', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
    const before = await tensorBackend();
    const cases: [number[], number[], boolean, boolean][] = [
      [[5, 7], [7, 3], false, false],
      [[7, 5], [7, 3], true, false],
      [[5, 7], [3, 7], false, true],
      [[7, 5], [3, 7], true, true],
      [[2, 4, 9, 6], [2, 4, 6, 9], false, false],
      [[2, 4, 9, 6], [2, 4, 9, 6], false, true],
      [[2, 4, 6, 9], [2, 4, 6, 5], true, false],
      [[3, 9, 6], [6, 4], false, false],
      [[4, 6], [3, 4, 9], true, false],
      // Our blocked kernel's paths: two-row blocks and an odd last row, 16-column blocks, 4-column and single-column rests.
      [[2, 3, 37, 21], [2, 3, 21, 37], false, false],
      [[2, 2, 185, 16], [2, 2, 185, 16], true, false],
      [[3, 19, 33], [3, 33, 16], false, false],
      // aᵀ · b (weight gradients): our outer-product kernel, 4-row blocks and rests, 16- and 4-column blocks.
      [[61, 10], [61, 20], true, false],
      [[1, 300, 7], [1, 300, 16], true, false],
      [[500, 64], [500, 64], true, false],
    ];
    for (const [as, bs, ta, tb] of cases) {
      const out: Record<string, Float32Array> = {};
      for (const name of ['cpu', 'wasm']) {
        await tf.setBackend(name);
        out[name] = tf.matMul(tf.randomNormal(as, 0, 1, 'float32', 5), tf.randomNormal(bs, 0, 1, 'float32', 6), ta, tb).dataSync() as Float32Array;
      }
      expect(out.wasm.length, `${as} × ${bs}`).toBe(out.cpu.length);
      const diff = Math.max(...Array.from(out.cpu, (v, i) => Math.abs(v - out.wasm[i])));
      expect(diff, `${as} ${ta ? 'ᵀ' : ''} × ${bs} ${tb ? 'ᵀ' : ''}`).toBeLessThan(1e-4);
    }
    await tf.setBackend(before);
  });

  it('wasm sums and means over leading axes equal the original kernel bit for bit and the cpu backend, and so do their gradients (leading or trailing axes)', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
    const before = await tensorBackend();
    const cases: [number[], number[], boolean][] = [
      [[4, 9, 11, 16], [0, 1, 2], false],
      [[3, 7, 5, 37], [0, 1, 2], true],
      [[6, 5, 3], [0, 1], false],
      [[6, 5, 3], [-3], true],
      [[50, 3], [0], false],
      // Trailing axes (layer norm's statistics): tfjs's own forward kernel, our gradient.
      [[4, 5, 6], [-1], true],
      [[3, 4, 5], [1, 2], false],
    ];
    for (const [shape, axes, keepDims] of cases) {
      const out: Record<string, Float32Array> = {};
      for (const name of ['cpu', 'wasm']) {
        await tf.setBackend(name);
        const x = tf.randomNormal(shape, 0, 1, 'float32', 8);
        const reduced = axes.map((a) => (a < 0 ? a + shape.length : a));
        const wantShape = keepDims ? shape.map((d, i) => (reduced.includes(i) ? 1 : d)) : shape.filter((_, i) => !reduced.includes(i));
        for (const op of ['sum', 'mean'] as const) {
          const y = tf[op](x, axes, keepDims);
          expect(y.shape, `${op} ${shape} over ${axes}`).toEqual(wantShape);
          out[`${name}-${op}`] = y.dataSync() as Float32Array;
          // Its gradient (on wasm our spreading kernel) is dy · 1 / count on both backends: equal bit for bit.
          const dy = tf.randomNormal(wantShape, 0, 1, 'float32', 9);
          out[`${name}-${op}-grad`] = tf
            .grad((a) => tf.mul(tf[op](a, axes, keepDims), dy).sum())(x)
            .dataSync() as Float32Array;
          if (name === 'wasm') {
            // The original kernel, on the reduced axes moved innermost by hand (its transpose then does nothing).
            const kept = shape.map((_, i) => i).filter((i) => !reduced.includes(i));
            const moved = tf.transpose(x, [...kept, ...reduced]);
            const inner = reduced.map((_, i) => kept.length + i);
            expect(Array.from(y.dataSync()), `${op} ${shape} over ${axes}: bit-identical`).toEqual(Array.from(tf[op](moved, inner).dataSync()));
          }
        }
      }
      for (const op of ['sum', 'mean']) {
        expect(Array.from(out[`wasm-${op}-grad`]), `${op} ${shape} over ${axes}: gradient`).toEqual(Array.from(out[`cpu-${op}-grad`]));
        const [c, w] = [out[`cpu-${op}`], out[`wasm-${op}`]];
        const diff = Math.max(...Array.from(c, (v, i) => Math.abs(v - w[i]) / Math.max(1, Math.abs(v))));
        expect(diff, `${op} ${shape} over ${axes}`).toBeLessThan(1e-5);
      }
    }
    await tf.setBackend(before);
  });

  it("the wasm max-pool gradient matches the cpu backend (2×2 on odd sizes, 3×3, 'same' padding)", async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
    const before = await tensorBackend();
    const cases: [[number, number, number, number], number, number, ('valid' | 'same')?][] = [
      [[2, 9, 11, 3], 2, 2],
      [[2, 64, 188, 4], 2, 2],
      [[1, 12, 12, 2], 3, 3],
      // 'same' on odd sizes: the last window hangs over the edge (tfjs's kernel serves it; ours
      // once read and wrote past the input there).
      [[2, 9, 11, 3], 2, 2, 'same'],
      [[2, 16, 47, 8], 2, 2, 'same'],
      // Not overlapping windows: tfjs-backend-wasm 4.22's own kernel, which serves them, differs
      // from the cpu backend there (max |Δ| 2.4 for 2×2 stride 1); serbench's models do not use them.
    ];
    for (const [xs, size, stride, pad = 'valid'] of cases) {
      const grads: Record<string, Float32Array> = {};
      for (const name of ['cpu', 'wasm']) {
        await tf.setBackend(name);
        const x = tf.randomNormal(xs, 0, 1, 'float32', 3) as tf.Tensor4D;
        const out = (n: number) => (pad === 'same' ? Math.ceil(n / stride) : Math.floor((n - size) / stride) + 1);
        const w = tf.randomNormal([out(xs[1]), out(xs[2]), xs[3]], 0, 1, 'float32', 4);
        grads[name] = tf
          .grad((a) =>
            tf
              .maxPool(a as tf.Tensor4D, size, stride, pad)
              .mul(w)
              .sum(),
          )(x)
          .dataSync() as Float32Array;
      }
      // The same values (a masked zero may be −0 where the cpu writes +0).
      const diff = Math.max(...Array.from(grads.cpu, (v, i) => Math.abs(v - grads.wasm[i])));
      expect(diff, `${xs} pool ${size} stride ${stride} ${pad}`).toBe(0);
    }
    await tf.setBackend(before);
  });

  it('the wasm average-pool gradient matches the cpu backend (the mean over time, 2×2; windows that do not tile take tfjs’s kernel)', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
    const before = await tensorBackend();
    const cases: [[number, number, number, number], [number, number]][] = [
      [
        [4, 8, 23, 64],
        [1, 23],
      ],
      [
        [2, 16, 12, 8],
        [2, 2],
      ],
      [
        [2, 9, 11, 4],
        [2, 2],
      ], // does not tile: tfjs's kernel
      [
        [2, 8, 8, 3],
        [2, 2],
      ], // channels not a multiple of 4: tfjs's kernel
    ];
    for (const [xs, size] of cases) {
      const grads: Record<string, Float32Array> = {};
      for (const name of ['cpu', 'wasm']) {
        await tf.setBackend(name);
        const x = tf.randomNormal(xs, 0, 1, 'float32', 3) as tf.Tensor4D;
        const [oh, ow] = [Math.floor(xs[1] / size[0]), Math.floor(xs[2] / size[1])];
        const w = tf.randomNormal([oh, ow, xs[3]], 0, 1, 'float32', 4);
        grads[name] = tf
          .grad((a) =>
            tf
              .avgPool(a as tf.Tensor4D, size, size, 'valid')
              .mul(w)
              .sum(),
          )(x)
          .dataSync() as Float32Array;
      }
      const diff = Math.max(...Array.from(grads.cpu, (v, i) => Math.abs(v - grads.wasm[i])));
      expect(diff, `${xs} pool ${size}`).toBeLessThan(1e-6);
    }
    await tf.setBackend(before);
  });

  it('runs the relaxed-SIMD build of the network kernels where the engine validates it, else the plain one; SERBENCH_WASM_FMA=0 forces the plain one', async () => {
    const { readFileSync } = await import('node:fs');
    const { spawnSync } = await import('node:child_process');
    const relaxed = WebAssembly.validate(readFileSync(new URL('../build/nn-shared-relaxed.wasm', import.meta.url)));
    const build = (env: Record<string, string>) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', "import { networkKernelBuild } from './core/wasm.ts'; console.log(networkKernelBuild());"],
        {
          cwd: new URL('..', import.meta.url),
          env: { ...process.env, ...env },
          encoding: 'utf8',
        },
      ).stdout.trim();
    expect(build({})).toBe(relaxed ? 'relaxed-simd' : 'simd128');
    expect(build({ SERBENCH_WASM_FMA: '0' })).toBe('simd128');
  });
});
