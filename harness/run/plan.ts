/**
 * A run's plan: its data loaded and hashed, its folds made and audited for leakage, and every job
 * (split seed × fold × model seed × model) with an id that names its file.
 */
import { createHash } from 'node:crypto';
import type { Suite } from '../suite.ts';
import { loadSuiteData, clipKeys, type SuiteData } from '../data.ts';
import { makeFolds, SPEAKER_INDEPENDENT, type Fold } from '../splits.ts';
import { auditLeakage, type LeakageAudit } from '../stats/leakage.ts';
import { featureInputs, FEATURE_KINDS, type SuiteFeatures } from '../../datasets/features/registry.ts';
import type { FeatureInput, FeatureKindSpec } from '../../datasets/features/kind.ts';
import { fitCost, MODEL_FAMILIES } from '../../models/registry.ts';
import { foldFingerprint, dataHash } from '../run-folder/records.ts';
import type { JobSpec } from '../stats/run-records.ts';
import { fileComponent } from '../../core/file-names.ts';
import type { RunFolder } from '../run-folder/folder.ts';

/** The suite's identity: what it says (not how it is worded or titled) and the content of the files its feature kinds read. */
export function suiteHash(suite: Suite, inputs: FeatureInput[] = []): string {
  const { source, sourcePath, report, description, ...semantic } = suite;
  (void source, sourcePath, report, description);
  // Without feature inputs the hash is what it was before they existed: older run folders resume.
  const identity = inputs.length ? { ...semantic, featureInputs: inputs.map((i) => i.sha256) } : semantic;
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
}

/**
 * A job's id and file name: injective in (split seed, model seed, fold, model), so no two jobs
 * share a file. Without model_seeds the model seed is the split seed and is not spelled out.
 */
export const jobId = (seed: number, fold: string, model: string, modelSeed?: number) =>
  `s${seed}${modelSeed === undefined ? '' : `_m${modelSeed}`}_${fileComponent(fold)}_${fileComponent(model)}`;

/** Where a fold's clip ids are written: folds/<seed>_<fold>.json. */
export const foldFile = (folder: RunFolder, seed: number, fold: string) => folder.path('folds', `${seed}_${fileComponent(fold)}.json`);

export function planJobs(suite: Suite, foldsBySeed: Map<number, Fold[]>): JobSpec[] {
  const jobs: JobSpec[] = [];
  for (const seed of suite.seeds) {
    for (const fold of foldsBySeed.get(seed)!) {
      // Every (split seed, model seed): the model's initialisation and batch order vary apart from the split.
      for (const modelSeed of suite.model_seeds ?? [seed])
        // An ensemble is no job: it is formed from its members' jobs when the run is evaluated.
        for (const m of suite.models.filter((x) => !MODEL_FAMILIES[x.type].virtual))
          jobs.push({ id: jobId(seed, fold.name, m.name, suite.model_seeds ? modelSeed : undefined), seed, modelSeed, fold: fold.name, model: m.name });
    }
  }
  return jobs;
}

/** Shard i of n: every n-th job in plan order (deterministic for a suite). */
export const shardOf = (jobs: JobSpec[], s?: { index: number; count: number }) => (s ? jobs.filter((_, i) => i % s.count === s.index) : jobs);

export interface Prepared {
  data: SuiteData;
  foldsBySeed: Map<number, Fold[]>;
  /** "seed/fold" → the fold's fingerprint (its clips' ids, content hashes and labels). */
  fingerprints: Map<string, string>;
  dataHash: string;
  featureInputs: FeatureInput[];
  audits: (LeakageAudit & { seed: number })[];
  jobs: JobSpec[];
  hash: string;
  /** Every name a clip goes by → its id (harness/data.ts clipKeys). */
  clipKeys: Map<string, string>;
  /** What was done to make the folds (committed folds' missing clips dropped, validation drawn), per seed. */
  splitNotes: string[];
}

export function prepareRun(suite: Suite, knownHashes?: Record<string, string>): Prepared {
  const data = loadSuiteData(suite, knownHashes);
  if (data.clips.length === 0) throw new Error(`suite ${suite.name}: no clips left after loading and label mapping`);
  const foldsBySeed = new Map<number, Fold[]>();
  const audits: (LeakageAudit & { seed: number })[] = [];
  for (const seed of suite.seeds) {
    const folds = makeFolds(data.clips, suite.split, seed, suite.labels);
    foldsBySeed.set(seed, folds);
    for (const f of folds) audits.push({ seed, ...auditLeakage(data.clips, f, SPEAKER_INDEPENDENT.has(suite.split.protocol), data.hashes) });
  }
  const ids = data.clips.map((c) => c.id);
  const fingerprints = new Map<string, string>();
  for (const [seed, folds] of foldsBySeed) for (const f of folds) fingerprints.set(`${seed}/${f.name}`, foldFingerprint(ids, data.hashes, data.labels, f));
  const inputs = featureInputs(
    suite.features,
    suite.models.map((m) => m.features),
  );
  return {
    data,
    foldsBySeed,
    fingerprints,
    dataHash: dataHash(ids, data.hashes, data.labels),
    featureInputs: inputs,
    audits,
    jobs: planJobs(suite, foldsBySeed),
    hash: suiteHash(suite, inputs),
    clipKeys: clipKeys(suite, data.clips),
    splitNotes: [...foldsBySeed].flatMap(([seed, folds]) =>
      folds.flatMap((f) => (f.notes ?? []).map((n) => (suite.seeds.length > 1 ? `seed ${seed}, ${n}` : n))),
    ),
  };
}

/** A job's expected seconds on one core: its family's cost model for its training samples (copies included) and feature size. */
export function jobCost(suite: Suite, p: Prepared, job: JobSpec): number {
  const spec = suite.models.find((m) => m.name === job.model)!;
  const fold = p.foldsBySeed.get(job.seed)!.find((f) => f.name === job.fold)!;
  const kind = FEATURE_KINDS[spec.features] as FeatureKindSpec<SuiteFeatures>;
  const n = fold.train.length * (1 + (kind.augmentable ? suite.augment.copies : 0));
  return fitCost(spec, n, kind.size(suite.features));
}

/** What `validate` says a run will be: its jobs per family and their expected seconds on one core. */
export interface PlanSize {
  clips: number;
  folds: number;
  jobs: number;
  families: { family: string; jobs: number; seconds: number }[];
  /** Every job's expected seconds, summed (one core of the machine the README's bench figures come from). */
  seconds: number;
}

/**
 * Plan a suite as `run` would, without hashing the audio or training anything: its data, its
 * folds (committed fold files checked against the data), its jobs and their expected cost.
 * What `run` would refuse of the data and the folds is refused here.
 */
export function planSize(suite: Suite): PlanSize {
  const data = loadSuiteData(suite, {}, { hash: false });
  if (data.clips.length === 0) throw new Error(`suite ${suite.name}: no clips left after loading and label mapping`);
  const foldsBySeed = new Map(suite.seeds.map((seed) => [seed, makeFolds(data.clips, suite.split, seed, suite.labels)] as const));
  const p = { foldsBySeed } as Prepared;
  const jobs = planJobs(suite, foldsBySeed);
  const families = new Map<string, { jobs: number; seconds: number }>();
  let total = 0;
  for (const j of jobs) {
    const spec = suite.models.find((m) => m.name === j.model)!;
    const s = jobCost(suite, p, j);
    total += s;
    const f = families.get(spec.type) ?? { jobs: 0, seconds: 0 };
    families.set(spec.type, { jobs: f.jobs + 1, seconds: f.seconds + s });
  }
  return {
    clips: data.clips.length,
    folds: [...foldsBySeed.values()].reduce((a, f) => a + f.length, 0),
    jobs: jobs.length,
    families: [...families].map(([family, f]) => ({ family, ...f })),
    seconds: total,
  };
}
