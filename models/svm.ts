/**
 * C-SVC as libsvm 3.22 trains it (models/libsvm.ts, our port of its solver, which gives its
 * models to the bit): RBF or linear kernel, one-vs-one multiclass, Platt-scaled probabilities
 * (libsvm -b 1), inputs standardized with statistics of the training batch. Optional small grid
 * over C and gamma, scored by validation log loss.
 *
 * Saving: the model itself (support vectors, coefficients, rho, Platt parameters) as JSON
 * numbers, which read back to the same doubles. A model saved before the port holds its training
 * set instead and is refitted on loading, which gives the same model.
 */
import type { Classifier, FitOptions, FitReport, SerializedModel } from './classifier.ts';
import { balancedWeights, checkProbabilities } from './classifier.ts';
import { allSamples, sampleSize, type Batch } from '../core/batch.ts';
import { predictProbability, trainLibsvm, type LibsvmModel } from './libsvm.ts';
import type { SvmParams } from './params.ts';
import { GramKernel } from './svm-kernel.ts';
import { Standardizer } from './standardize.ts';

/**
 * Inputs are rounded to 8 significant digits (a relative change below 1e-8), as they were when
 * libsvm-js's model file (printf "%.8g") made a reload predict what the fit did: the models and
 * probabilities of earlier runs stay the same to the bit.
 */
const libsvmValue = (v: number) => Number(v.toPrecision(8));
const rows = (x: Float32Array) => Float64Array.from(x, libsvmValue);

/** The saved form of a model: typed arrays as plain number arrays. */
interface SavedModel extends Omit<LibsvmModel, 'sv' | 'svIndices' | 'coef' | 'rho' | 'probA' | 'probB'> {
  sv: number[];
  svIndices: number[];
  coef: number[][];
  rho: number[];
  probA: number[];
  probB: number[];
}

export class SupportVectorMachine implements Classifier {
  readonly family = 'svm';
  private model: LibsvmModel | null = null;
  private scaler: Standardizer | null = null;
  private chosen: { C: number; gamma: number } | null = null;

  constructor(
    readonly k: number,
    readonly params: SvmParams,
  ) {}

  private train(x: Float64Array, y: Int32Array, C: number, gamma: number, kernel?: GramKernel): LibsvmModel {
    const weights = this.params.class_weights ? balancedWeights(y, this.k) : undefined;
    return trainLibsvm(x, y.length, x.length / y.length, y, {
      kernel: this.params.kernel,
      gamma,
      C,
      probability: true,
      weights: weights && new Map(Array.from(weights, (w, c) => [c, w])),
      gram: kernel,
    });
  }

  async fit(train: Batch, val: Batch | undefined, _opts: FitOptions): Promise<FitReport> {
    const t0 = performance.now();
    const d = sampleSize(train);
    this.scaler = Standardizer.fit(train);
    const x = this.inputs(train);
    const y = train.y!;
    // gamma 'scale' = 1 / (d · Var(X)); Var is 1 after standardization.
    const gammaScale = this.params.gamma === 'scale' ? 1 / d : this.params.gamma;
    const notes: string[] = [];
    let candidates = [{ C: this.params.C, gamma: gammaScale }];
    if (this.params.grid && val && val.n > 0) {
      const gammas = this.params.kernel === 'rbf' ? [gammaScale / 4, gammaScale, gammaScale * 4] : [gammaScale];
      // gamma outermost: the candidates of one gamma share one Gram matrix.
      candidates = gammas.flatMap((gamma) => [1, 10, 100].map((C) => ({ C, gamma })));
    }
    // The validation rows, read and standardized once for all candidates.
    const valX = candidates.length > 1 ? this.inputs(val!) : null;
    let best: { loss: number; model: LibsvmModel; C: number; gamma: number } | null = null;
    let kernel: GramKernel | undefined;
    for (const c of candidates) {
      if (kernel?.gamma !== c.gamma) kernel = new GramKernel(x, train.n, d, this.params.kernel, c.gamma);
      const model = this.train(x, y, c.C, c.gamma, kernel);
      let loss = 0;
      if (valX) {
        const p = this.probabilities(model, valX, val!.n);
        for (let i = 0; i < val!.n; i++) loss -= Math.log(Math.max(1e-15, p[i * this.k + val!.y![i]]));
        loss /= val!.n;
        notes.push(`grid C=${c.C} gamma=${c.gamma.toPrecision(3)}: val log loss ${loss.toFixed(4)}`);
      }
      if (!best || loss < best.loss) best = { loss, model, ...c };
    }
    this.model = best!.model;
    this.chosen = { C: best!.C, gamma: best!.gamma };
    const nSv = this.model.svIndices.length;
    notes.push(`C=${best!.C}, gamma=${best!.gamma.toPrecision(4)}, ${nSv} support vectors`);
    return { seconds: (performance.now() - t0) / 1000, parameters: nSv * (d + this.k - 1), notes };
  }

  /** A batch's samples as the model reads them: standardized, rounded, in double. */
  private inputs(b: Batch): Float64Array {
    return rows(this.scaler!.transform(allSamples(b)));
  }

  /** Probabilities of the k classes for n rows; a class absent from training gets 0 (libsvm never saw it). */
  private probabilities(model: LibsvmModel, x: Float64Array, n: number): Float32Array {
    const p = predictProbability(model, x, n);
    const out = new Float32Array(n * this.k);
    const m = model.labels.length;
    for (let i = 0; i < n; i++) model.labels.forEach((label, c) => (out[i * this.k + label] = p[i * m + c]));
    return out;
  }

  async predictProba(b: Batch): Promise<Float32Array> {
    if (!this.model || !this.scaler) throw new Error('svm: predictProba before fit');
    return checkProbabilities(this.probabilities(this.model, this.inputs(b), b.n), b.n, this.k, 'svm');
  }

  async toJSON(): Promise<SerializedModel> {
    const m = this.model!;
    const model: SavedModel = {
      ...m,
      sv: Array.from(m.sv),
      svIndices: Array.from(m.svIndices),
      coef: m.coef.map((c) => Array.from(c)),
      rho: Array.from(m.rho),
      probA: Array.from(m.probA!),
      probB: Array.from(m.probB!),
    };
    return { family: 'svm', k: this.k, params: this.params, chosen: this.chosen, scaler: this.scaler!.toJSON(), model };
  }

  static async fromJSON(j: SerializedModel): Promise<SupportVectorMachine> {
    const m = new SupportVectorMachine(j.k, j.params as SvmParams);
    m.scaler = Standardizer.fromJSON(j.scaler as ReturnType<Standardizer['toJSON']>);
    m.chosen = j.chosen as { C: number; gamma: number };
    const saved = j.model as SavedModel | undefined;
    if (saved)
      m.model = {
        ...saved,
        sv: Float64Array.from(saved.sv),
        svIndices: Int32Array.from(saved.svIndices),
        coef: saved.coef.map((c) => Float64Array.from(c)),
        rho: Float64Array.from(saved.rho),
        probA: Float64Array.from(saved.probA),
        probB: Float64Array.from(saved.probB),
      };
    else {
      // Saved before the port: the (rounded, standardized) training set, refitted exactly.
      const set = j.trainingSet as { x: number[][]; y: number[] };
      m.model = m.train(Float64Array.from(set.x.flat()), Int32Array.from(set.y), m.chosen.C, m.chosen.gamma);
    }
    return m;
  }
}
