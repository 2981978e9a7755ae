/**
 * The libsvm port (models/libsvm.ts) against libsvm 3.22 itself: libsvm-js, libsvm's C source
 * compiled by emscripten (a dev dependency kept for this test). The same labels and support
 * vectors, and the same probabilities, on problems that reach its corners: many classes, class
 * weights, the linear kernel, a class too small for every probability fold, repeated rows, and
 * the column cache when the Gram matrix does not fit.
 *
 * "The same": every arithmetic step is libsvm's, but exp() is the platform's (V8's fdlibm here,
 * musl's in the emscripten build, glibc's under scikit-learn), and these differ in the last bit
 * now and then. So probabilities are compared to 1e-14, and where no exp differs (the first
 * three problems here) they are equal to the bit.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/random.ts';
import { predictProbability, trainLibsvm, type LibsvmParameter } from '../models/libsvm.ts';
import { createClassifier, loadClassifier, DEFAULT_PARAMS } from '../models/registry.ts';
import { GramKernel } from '../models/svm-kernel.ts';

const require = createRequire(import.meta.url);

/** A fresh libsvm-js instance: its rand() state (the probability folds) starts anew, as ours does. */
async function libsvmJs() {
  const path = require.resolve('libsvm-js/out/wasm/libsvm.js');
  delete require.cache[path];
  const warn = console.warn;
  console.warn = () => {}; // emscripten's note that it falls back from streaming compilation
  try {
    const mod = require(path);
    await mod.load();
    return require('libsvm-js/src/loadSVM.js')(mod);
  } finally {
    console.warn = warn;
  }
}

interface Problem {
  x: number[][];
  y: number[];
  test: number[][];
}

function problem(seed: string, n: number, d: number, k: number, sizes?: number[]): Problem {
  const rng = new Rng(seed);
  const labels = sizes ? sizes.flatMap((s, c) => Array(s).fill(c)) : Array.from({ length: n }, () => rng.int(k));
  const row = (c: number) => Array.from({ length: d }, (_, j) => Number((rng.normal() + (j % k === c ? 1 : 0)).toPrecision(8)));
  return { x: labels.map(row), y: labels, test: Array.from({ length: 40 }, () => row(rng.int(k))) };
}

async function compare(p: Problem, param: LibsvmParameter, ours = (x: Float64Array, n: number, d: number) => trainLibsvm(x, n, d, p.y, param)) {
  const SVM = await libsvmJs();
  const ref = new SVM({
    type: SVM.SVM_TYPES.C_SVC,
    kernel: param.kernel === 'rbf' ? SVM.KERNEL_TYPES.RBF : SVM.KERNEL_TYPES.LINEAR,
    gamma: param.gamma,
    cost: param.C,
    probabilityEstimates: true,
    quiet: true,
    weight: param.weights ? Object.fromEntries(param.weights) : undefined,
  });
  ref.train(p.x, p.y);
  const d = p.x[0].length;
  const model = ours(Float64Array.from(p.x.flat()), p.x.length, d);
  expect(model.labels).toEqual(ref.getLabels());
  expect(Array.from(model.svIndices)).toEqual(ref.getSVIndices());
  const probs = predictProbability(model, Float64Array.from(p.test.flat()), p.test.length);
  const k = model.labels.length;
  let exact = 0;
  p.test.forEach((row, i) => {
    const want: number[] = ref.predictOneProbability(row).estimates.map((e: { probability: number }) => e.probability);
    want.forEach((w, c) => {
      expect(Math.abs(probs[i * k + c] - w), `test row ${i} class ${c}`).toBeLessThan(1e-14);
      if (probs[i * k + c] === w) exact++;
    });
  });
  ref.free();
  return { model, exact: exact / (p.test.length * k) };
}

describe('the libsvm port gives libsvm 3.22 models to the bit', () => {
  it('eight classes, RBF, C = 10 (the SVM default)', async () => {
    expect((await compare(problem('eight', 320, 24, 8), { kernel: 'rbf', gamma: 1 / 24, C: 10, probability: true })).exact).toBe(1);
  });

  it('class weights, linear kernel, three classes', async () => {
    const weights = new Map([
      [0, 0.7],
      [1, 1.9],
      [2, 1.1],
    ]);
    expect((await compare(problem('linear', 150, 9, 3), { kernel: 'linear', gamma: 1 / 9, C: 0.5, probability: true, weights })).exact).toBe(1);
  });

  it('a class of three rows (probability folds without it) and repeated rows', async () => {
    const p = problem('small', 0, 6, 3, [60, 3, 50]);
    p.x.push(...p.x.slice(0, 10));
    p.y.push(...p.y.slice(0, 10));
    expect((await compare(p, { kernel: 'rbf', gamma: 0.5, C: 100, probability: true })).exact).toBe(1);
  });

  it("columns computed on demand under a small cache, or from each pair's Gram matrix, give the same model as the Gram matrix of all rows", async () => {
    const p = problem('cache', 260, 12, 4);
    const param: LibsvmParameter = { kernel: 'rbf', gamma: 1 / 12, C: 10, probability: true };
    // No Gram matrix, and a cache of 4 KB (it keeps two columns at least): every column is
    // computed as the solver asks, evicted and shuffled by shrinking.
    // Three of these 40 rows meet an exp() that differs in its last bit.
    const { exact } = await compare(p, param, (x, n, d) =>
      trainLibsvm(x, n, d, p.y, { ...param, cacheMb: 4 / 1024, gram: new GramKernel(x, n, d, 'rbf', param.gamma, 0) }),
    );
    expect(exact).toBeGreaterThan(0.9);
    // And to the bit the model the Gram matrix gives.
    const x = Float64Array.from(p.x.flat());
    const n = p.x.length;
    const viaGram = trainLibsvm(x, n, 12, p.y, param);
    expect(trainLibsvm(x, n, 12, p.y, { ...param, cacheMb: 4 / 1024, gram: new GramKernel(x, n, 12, 'rbf', param.gamma, 0) })).toEqual(viaGram);
    // A budget that holds a pair's Gram matrix (about 130² floats) but not all rows' (260²).
    const pairs = new GramKernel(x, n, 12, 'rbf', param.gamma, 100_000);
    expect(pairs.hasGram).toBe(false);
    expect(trainLibsvm(x, n, 12, p.y, { ...param, gram: pairs })).toEqual(viaGram);
  });
});

describe('the SVM classifier', () => {
  it('reads a model saved before the port (its training set) and refits it to the same predictions', async () => {
    const rng = new Rng('saved');
    const [n, d] = [60, 5];
    const y = Int32Array.from({ length: n }, () => rng.int(3));
    const x = Float32Array.from({ length: n * d }, (_, i) => rng.normal() + y[Math.floor(i / d)]);
    const m = await createClassifier({ type: 'svm', params: { ...DEFAULT_PARAMS.svm } }, 3);
    await m.fit({ n, sampleShape: [d], x, y }, undefined, { seed: 1 });
    const test = { n: 10, sampleShape: [d], x: x.slice(0, 10 * d) };
    const j = JSON.parse(JSON.stringify(await m.toJSON()));
    // The old format: the standardized training rows, rounded to 8 digits, instead of the model.
    const mean = j.scaler.mean as number[],
      scale = j.scaler.scale as number[];
    const rows = Array.from({ length: n }, (_, i) =>
      Array.from({ length: d }, (_, f) => Number(Math.fround((x[i * d + f] - mean[f]) / scale[f]).toPrecision(8))),
    );
    const old = { ...j, model: undefined, trainingSet: { x: rows, y: Array.from(y) } };
    expect(Array.from(await (await loadClassifier(old)).predictProba(test))).toEqual(Array.from(await m.predictProba(test)));
  });
});
