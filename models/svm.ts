/**
 * C-SVC on libsvm 3.22 (the libsvm-js wasm build, BSD-3): RBF or linear kernel, one-vs-one
 * multiclass, Platt-scaled probabilities (libsvm -b 1), inputs standardized with statistics of
 * the training batch. Optional small grid over C and gamma, scored by validation log loss.
 *
 * libsvm draws its probability cross-validation folds from the C library's rand(), whose state
 * lives inside the wasm instance; each fit therefore gets a fresh instance, so that fitting
 * twice gives identical models whatever ran before.
 *
 * Saving: libsvm's model file prints rho and the Platt parameters with "%g" (6 digits), so a
 * reloaded libsvm model predicts slightly different probabilities. We save the (standardized)
 * training set and the chosen C and gamma instead; loading refits, which is exact because
 * fitting is deterministic.
 */
import { createRequire } from 'node:module';
import type { Batch, Classifier, FitOptions, FitReport, SerializedModel } from './classifier.ts';
import { allSamples, balancedWeights, checkProbabilities, sampleSize } from './classifier.ts';
import type { SvmParams } from './params.ts';
import { Standardizer } from './standardize.ts';

const require = createRequire(import.meta.url);
const LIBSVM_MODULE = require.resolve('libsvm-js/out/wasm/libsvm.js');
const LIBSVM_API = require.resolve('libsvm-js/src/loadSVM.js');

type LibSvm = any; // libsvm-js ships no types

/**
 * A new libsvm wasm instance with its own memory and rand() state. Emscripten's Node glue adds a
 * process 'uncaughtException' and an 'unhandledRejection' handler (the latter exits with code 1)
 * every time the module loads: one per fit, so a run with more than ten SVM fits printed
 * MaxListenersExceededWarning, and any unhandled rejection anywhere ended the process silently.
 * The handlers it adds are removed again.
 */
async function freshLibsvm(): Promise<LibSvm> {
  delete require.cache[LIBSVM_MODULE];
  // Node's typings give each event its own listener type; the emitter's untyped view serves both.
  const emitter = process as unknown as { listeners(e: string): ((...a: unknown[]) => void)[]; removeListener(e: string, l: (...a: unknown[]) => void): void };
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  const warn = console.warn;
  // Emscripten tries a streaming compile through fetch(), which cannot read file paths in Node,
  // says so, and falls back to reading the file: expected here, not worth a warning.
  console.warn = (...a: unknown[]) => {
    if (!/wasm streaming compile failed|falling back to ArrayBuffer/.test(String(a[0]))) warn(...a);
  };
  try {
    const mod = require(LIBSVM_MODULE);
    await mod.load();
    return require(LIBSVM_API)(mod);
  } finally {
    console.warn = warn;
    for (const e of events) for (const l of emitter.listeners(e)) if (!before.get(e)!.has(l)) emitter.removeListener(e, l);
  }
}

/**
 * libsvm saves support vectors with printf("%.8g"): inputs are rounded to 8 significant digits
 * (a relative change below 1e-8) so that a saved and reloaded model predicts exactly what the
 * fitted one did.
 */
const libsvmValue = (v: number) => Number(v.toPrecision(8));
const rows = (x: Float32Array, n: number, d: number) => Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * d, (i + 1) * d), libsvmValue));

export class SupportVectorMachine implements Classifier {
  readonly family = 'svm';
  private svm: LibSvm | null = null;
  private scaler: Standardizer | null = null;
  private chosen: { C: number; gamma: number } | null = null;
  private trainingSet: { x: number[][]; y: number[] } | null = null;

  constructor(
    readonly k: number,
    readonly params: SvmParams,
  ) {}

  private async train(x: number[][], y: number[], C: number, gamma: number, weights?: Float64Array): Promise<LibSvm> {
    const SVM = await freshLibsvm();
    const svm = new SVM({
      type: SVM.SVM_TYPES.C_SVC,
      kernel: this.params.kernel === 'rbf' ? SVM.KERNEL_TYPES.RBF : SVM.KERNEL_TYPES.LINEAR,
      gamma,
      cost: C,
      probabilityEstimates: true,
      quiet: true,
      weight: weights ? Object.fromEntries(Array.from(weights, (w, c) => [c, w])) : undefined,
    });
    svm.train(x, y);
    return svm;
  }

  async fit(train: Batch, val: Batch | undefined, _opts: FitOptions): Promise<FitReport> {
    const t0 = performance.now();
    const d = sampleSize(train);
    this.scaler = Standardizer.fit(train);
    const x = rows(this.scaler.transform(allSamples(train)), train.n, d);
    const y = Array.from(train.y!);
    // gamma 'scale' = 1 / (d · Var(X)); Var is 1 after standardization.
    const gammaScale = this.params.gamma === 'scale' ? 1 / d : this.params.gamma;
    const notes: string[] = [];
    let candidates = [{ C: this.params.C, gamma: gammaScale }];
    if (this.params.grid && val && val.n > 0) {
      const gammas = this.params.kernel === 'rbf' ? [gammaScale / 4, gammaScale, gammaScale * 4] : [gammaScale];
      candidates = [1, 10, 100].flatMap((C) => gammas.map((gamma) => ({ C, gamma })));
    }
    const weights = this.params.class_weights ? balancedWeights(train.y!, this.k) : undefined;
    let best: { loss: number; svm: LibSvm; C: number; gamma: number } | null = null;
    for (const c of candidates) {
      const svm = await this.train(x, y, c.C, c.gamma, weights);
      let loss = 0;
      if (candidates.length > 1) {
        this.svm = svm;
        const p = await this.predictProba(val!);
        for (let i = 0; i < val!.n; i++) loss -= Math.log(Math.max(1e-15, p[i * this.k + val!.y![i]]));
        loss /= val!.n;
        notes.push(`grid C=${c.C} gamma=${c.gamma.toPrecision(3)}: val log loss ${loss.toFixed(4)}`);
      }
      if (!best || loss < best.loss) {
        if (best) best.svm.free();
        best = { loss, svm, ...c };
      } else svm.free();
    }
    this.svm = best!.svm;
    this.chosen = { C: best!.C, gamma: best!.gamma };
    this.trainingSet = { x, y };
    notes.push(`C=${best!.C}, gamma=${best!.gamma.toPrecision(4)}, ${this.svm.getSVIndices().length} support vectors`);
    return { seconds: (performance.now() - t0) / 1000, parameters: this.svm.getSVIndices().length * (d + this.k - 1), notes };
  }

  async predictProba(b: Batch): Promise<Float32Array> {
    if (!this.svm || !this.scaler) throw new Error('svm: predictProba before fit');
    const d = sampleSize(b);
    const x = this.scaler.transform(allSamples(b));
    const labels: number[] = this.svm.getLabels();
    const out = new Float32Array(b.n * this.k);
    for (let i = 0; i < b.n; i++) {
      const r = this.svm.predictOneProbability(Array.from(x.subarray(i * d, (i + 1) * d), libsvmValue));
      // Classes absent from training get probability 0: libsvm only knows the labels it saw.
      r.estimates.forEach((e: { label: number; probability: number }) => (out[i * this.k + e.label] = e.probability));
      void labels;
    }
    return checkProbabilities(out, b.n, this.k, 'svm');
  }

  async toJSON(): Promise<SerializedModel> {
    return { family: 'svm', k: this.k, params: this.params, chosen: this.chosen, scaler: this.scaler!.toJSON(), trainingSet: this.trainingSet };
  }

  static async fromJSON(j: SerializedModel): Promise<SupportVectorMachine> {
    const m = new SupportVectorMachine(j.k, j.params as SvmParams);
    m.scaler = Standardizer.fromJSON(j.scaler as ReturnType<Standardizer['toJSON']>);
    m.chosen = j.chosen as { C: number; gamma: number };
    m.trainingSet = j.trainingSet as { x: number[][]; y: number[] };
    const weights = m.params.class_weights ? balancedWeights(Int32Array.from(m.trainingSet.y), m.k) : undefined;
    m.svm = await m.train(m.trainingSet.x, m.trainingSet.y, m.chosen.C, m.chosen.gamma, weights);
    return m;
  }
}
