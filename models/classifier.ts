/**
 * One contract for every model family, after scikit-learn's estimator API: fit on a training
 * batch (with an optional validation batch for early stopping or model selection), then
 * predictProba returns n × k class probabilities whose rows sum to 1.
 */

import type { Batch } from '../core/batch.ts';

export interface EpochLog {
  epoch: number;
  loss: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Unweighted average recall on validation (the selection metric under monitor: uar). */
  valUar?: number;
  /** The learning rate of the epoch (it changes under lr_schedule: cosine). */
  lr?: number;
}

export interface FitReport {
  seconds: number;
  parameters: number;
  epochs?: number;
  /** Epoch whose weights were kept (early stopping). */
  bestEpoch?: number;
  history?: EpochLog[];
  backend?: string;
  /** What the fit chose or noticed (grid search winner, divergence, …). */
  notes: string[];
  /** A network that went on from a checkpoint: the epoch it had finished. */
  resumedFrom?: number;
}

export interface FitOptions {
  seed: number;
  /** Called after every epoch (progress display). */
  onEpoch?: (log: EpochLog) => void;
  /**
   * Cores this fit may use (default 1). The CNN and ViT then train as a team of threads over
   * each batch (models/training-team.ts); other models use one.
   */
  threads?: number;
  /**
   * Cores the fit may use from now on, asked between epochs: a job process is given the cores of
   * the run's job processes that ran out of jobs (harness/run/run.ts). The CNN and ViT then go on
   * with a larger team; default: `threads` throughout.
   */
  cores?: () => number;
  /**
   * Where a network keeps its state between epochs, so that an interrupted fit goes on from its
   * last finished epoch and ends as it would have (harness/run/ keeps them in the run folder).
   */
  checkpoints?: CheckpointStore;
  /** The job the fit is for: what a model that brings its own outputs (imported predictions) needs to find its rows. */
  job?: JobContext;
}

/** What a job tells a model beyond its samples. */
export interface JobContext {
  /** The suite's classes, in order: the columns of predictProba. */
  classes: string[];
  /** The split seed, the model seed and the fold. */
  seed: number;
  modelSeed: number;
  fold: string;
  /** Every name a clip of the suite goes by (its id, its path relative to its corpus folder, its file stem where unique) → its id. */
  clipKeys: ReadonlyMap<string, string>;
}

/** A float32 array with its shape (a weight, a moment estimate). */
export interface SavedArray {
  shape: number[];
  data: Float32Array | Int32Array;
  name?: string;
  dtype?: string;
}

/** A network's fit after a finished epoch: everything the next epoch starts from. */
export interface FitCheckpoint {
  /** Epochs finished. */
  epoch: number;
  /** Optimizer steps taken (dropout masks are drawn from the step). */
  step: number;
  weights: SavedArray[];
  optimizer: SavedArray[];
  best: { loss: number; epoch: number; weights: SavedArray[] };
  /** Epochs without improvement (early stopping). */
  waited: number;
  /** The batch order and the positions of the fit's random streams. */
  order: number[];
  batchRng: number;
  mathRandom: number;
  history: EpochLog[];
  notes: string[];
  threads: number;
  /** Seconds the fit had run before this checkpoint. */
  seconds: number;
}

export interface CheckpointStore {
  /** The checkpoint of this fit, if one was kept. */
  load(): FitCheckpoint | null;
  save(c: FitCheckpoint): void;
}

export interface Classifier {
  readonly family: string;
  readonly k: number;
  fit(train: Batch, val: Batch | undefined, opts: FitOptions): Promise<FitReport>;
  predictProba(x: Batch): Promise<Float32Array>;
  /** Everything needed to rebuild the fitted model with `loadClassifier`. */
  toJSON(): Promise<SerializedModel>;
  /** A model that brings its own outputs: whether it has them for every sample of b (without, its validation clips get no temperature). */
  covers?(b: Batch): boolean;
  /** A model that brings its temperature with its outputs (a serbench predictions.csv's temperature column): used instead of fitting one. */
  givenTemperature?(): number | undefined;
}

export interface SerializedModel {
  family: string;
  k: number;
  [key: string]: unknown;
}
/** Balanced class weights n / (k · n_c), as scikit-learn's class_weight='balanced'. */
export function balancedWeights(y: Int32Array, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (const c of y) counts[c]++;
  return counts.map((c) => (c > 0 ? y.length / (k * c) : 0));
}

/** Check the contract's promise before returning: finite, non-negative rows summing to 1. */
export function checkProbabilities(p: Float32Array, n: number, k: number, family: string): Float32Array {
  if (p.length !== n * k) throw new Error(`${family}: predictProba returned ${p.length} values for ${n}×${k}`);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) {
      const v = p[i * k + j];
      if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`${family}: invalid probability ${v} (row ${i})`);
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) throw new Error(`${family}: probabilities of row ${i} sum to ${s}`);
  }
  return p;
}
