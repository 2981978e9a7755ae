/**
 * One job: its features (augmented copies for training only), a model of its family fitted on
 * the training clips (validation for early stopping and model selection), its test
 * probabilities, and its temperature fitted on the validation clips.
 */
import type { Suite, ModelSpec } from '../suite.ts';
import type { Fold } from '../splits.ts';
import type { FeatureStore } from '../../datasets/features/store.ts';
import { createClassifier } from '../../models/registry.ts';
import type { FitOptions } from '../../models/classifier.ts';
import { fitScaling, NO_SCALING } from '../stats/temperature.ts';
import type { JobSpec, JobResult } from '../stats/run-records.ts';
import type { SavedModel } from '../run-folder/records.ts';
import type { Progress } from './progress.ts';
import type { Prepared } from './plan.ts';

export interface JobContext {
  suite: Suite;
  p: Prepared;
  store: FeatureStore;
  progress: Progress;
  /** Called between epochs: a job process whose parent is gone exits there. */
  checkParent: () => void;
  /** Cores the job's network may train on, at first and as more come free (FitOptions.threads, cores). */
  cores: Pick<FitOptions, 'threads' | 'cores'>;
  /** Where the job's network keeps its checkpoints. */
  checkpoints?: FitOptions['checkpoints'];
}

/**
 * A model's promise, or a failure if it can never settle: when the process has nothing left to
 * wait for ('beforeExit') while it is pending, no callback of it can ever run (a fit() that
 * returns a promise it never resolves). The job then fails with that said, and the run goes on;
 * without this, Node ends the process with status 13 and no word.
 */
function unlessStuck<T>(p: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stuck = () => reject(new Error(`${what} never settled: its promise was still pending with nothing left to wait for (a promise it never resolves?)`));
    process.once('beforeExit', stuck);
    p.then(
      (v) => (process.off('beforeExit', stuck), resolve(v)),
      (e) => (process.off('beforeExit', stuck), reject(e)),
    );
  });
}

/** The job's temperature: given with imported outputs, fitted on the validation clips, or none (and why). */
function temperatureOf(
  given: number | undefined,
  val: { n: number; y?: Int32Array },
  valProbs: Float32Array | null,
  valOutputs: boolean,
  k: number,
  suite: Suite,
) {
  if (given !== undefined && suite.evaluation.temperature_scaling)
    return { temperature: given, foundBy: 'given with the outputs (their temperature column)', validation: null };
  if (valOutputs && suite.evaluation.temperature_scaling) return fitScaling(val.y!, valProbs!, k, suite.evaluation.ece_bins);
  if (val.n > 0 && !valOutputs) return { ...NO_SCALING, foundBy: 'no outputs for the validation clips: temperature scaling skipped' };
  return NO_SCALING;
}

/** A finished job: its result, and its fitted model as saved in models/<job id>.json. */
export async function runJob(ctx: JobContext, spec: ModelSpec, fold: Fold, job: JobSpec): Promise<{ result: JobResult; saved: SavedModel }> {
  const { suite, p, store, progress } = ctx;
  const t0 = performance.now();
  const copies = suite.augment.copies;
  const kinds = [spec.features];
  // Augmentation after splitting, on training clips only.
  await store.ensure(fold.train, copies, kinds, job.seed, progress);
  await store.ensure([...fold.val, ...fold.test], 0, kinds, job.seed, progress);
  // Per-speaker statistics come from every clip of the fold's speakers (unaugmented), test ones included.
  const norm = spec.normalize ? { how: spec.normalize, speakerClips: [...fold.train, ...fold.val, ...fold.test] } : undefined;
  const train = store.batch(fold.train, copies, spec.features, job.seed, p.data.labels, norm);
  const val = store.batch(fold.val, 0, spec.features, job.seed, p.data.labels, norm);
  const test = store.batch(fold.test, 0, spec.features, job.seed, p.data.labels, norm);
  if (train.n === 0) throw new Error('no training clips could be read');
  if (test.n === 0) throw new Error('no test clips could be read');
  const k = p.data.classes.length;
  const model = await createClassifier(spec, k);
  const epochs = (spec.params as { epochs?: unknown }).epochs;
  progress.start(`train ${job.id}`, typeof epochs === 'number' ? epochs : 1, job.id);
  const fit = await unlessStuck(
    model.fit(train, val.n > 0 ? val : undefined, {
      seed: job.modelSeed ?? job.seed,
      ...ctx.cores,
      checkpoints: ctx.checkpoints,
      job: { classes: p.data.classes, seed: job.seed, modelSeed: job.modelSeed ?? job.seed, fold: job.fold, clipKeys: p.clipKeys },
      onEpoch: (l) => {
        ctx.checkParent();
        progress.tick(`loss ${l.loss.toFixed(3)}${l.valLoss !== undefined ? ` val ${l.valLoss.toFixed(3)}` : ''}`);
      },
    }),
    `${spec.name}'s fit()`,
  );
  if (fit.epochs === undefined) progress.tick(); // one step for models without epochs
  progress.done(fit.bestEpoch ? `best epoch ${fit.bestEpoch}` : '');
  const predict = (b: typeof test) => unlessStuck(model.predictProba(b), `${spec.name}'s predictProba()`);
  // Outputs brought from elsewhere may have none for the validation clips: then no temperature, and that said.
  const valOutputs = val.n > 0 && (model.covers?.(val) ?? true);
  const testProbs = await predict(test);
  const valProbs = valOutputs ? await predict(val) : null;
  const scaling = temperatureOf(model.givenTemperature?.(), val, valProbs, valOutputs, k, suite);
  const trainClassCounts = p.data.classes.map(() => 0);
  for (const i of fold.train) trainClassCounts[p.data.labels[i]]++;
  const rowsOf = (p: Float32Array, n: number) => Array.from({ length: n }, (_, i) => Array.from(p.subarray(i * k, (i + 1) * k)));
  const saved: SavedModel = {
    job: { id: job.id, seed: job.seed, modelSeed: job.modelSeed, fold: job.fold, model: job.model },
    suiteHash: p.hash,
    classes: p.data.classes,
    features: spec.features,
    ...(spec.normalize ? { normalize: spec.normalize } : {}),
    featureSettings: suite.features,
    featureInputs: p.featureInputs,
    temperature: scaling.temperature,
    model: await model.toJSON(),
  };
  const result: JobResult = {
    ...job,
    suiteHash: p.hash,
    foldFingerprint: p.fingerprints.get(`${job.seed}/${job.fold}`)!,
    family: spec.type,
    features: spec.features,
    fit,
    temperature: scaling.temperature,
    temperatureFoundBy: scaling.foundBy,
    validation: scaling.validation,
    trainClassCounts,
    test: { clips: test.clips.map((i) => p.data.clips[i].id), probs: rowsOf(testProbs, test.n) },
    ...(valProbs ? { val: { clips: val.clips.map((i) => p.data.clips[i].id), probs: rowsOf(valProbs, val.n) } } : {}),
    trainClips: new Set(train.clips).size,
    trainCopies: train.n,
    valClips: val.n,
    seconds: (performance.now() - t0) / 1000,
  };
  return { result, saved };
}
