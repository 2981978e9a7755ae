/**
 * A whole run's evaluation, with no I/O: from the run folder's records (read by
 * harness/run-folder/read-run.ts) to results.json's content — each model's evaluation, pairwise
 * comparisons, the leaderboard, the flags, the data summary and the provenance.
 * harness/run-folder/write-results.ts writes what this returns.
 */
import type { Clip, LabelMappingRow, SkippedFile } from '../../datasets/types.ts';
import type { FeatureInput } from '../../datasets/features/kind.ts';
import type { JobResult, JobFailure, RunData, ShardRecord } from './run-records.ts';
import type { LeakageAudit } from './leakage.ts';
import type { ValidationCalibration } from './temperature.ts';
import { scaled } from './temperature.ts';
import { evaluateModel, compareModels, evalOptions, type ModelEvaluation, type Comparison, type PredictionRow, type EvaluationSettings } from './evaluate.ts';
import type { RankMetric } from './metric-table.ts';
import { sliceValue } from './slices.ts';
import { withEnsembles } from './ensembles.ts';
import {
  modelFlags,
  temperatureSummary,
  confoundedSlices,
  missingTrainClasses,
  duplicateContent,
  temperatureOffDomain,
  testSpeakerStatistics,
  type Flag,
  type TemperatureSummary,
} from './flags.ts';

/**
 * 3: a bootstrap interval that could not be formed (fewer than 10 clips) has null bounds; slices
 * and equalized-odds rows say why they were not tested (not_tested); fit reports may say which
 * epoch a network resumed from. 2: proportion intervals (Wilson / Clopper–Pearson) with n and
 * method, gaps with intervals, rank-metric comparisons, flags, provenance.
 */
export const RESULTS_FORMAT = 'serbench-results/3';

/** What evaluation reads of a suite. */
export interface EvaluatedSuite {
  name: string;
  description?: string;
  /** The YAML text as given. */
  source: string;
  seeds: number[];
  split: { protocol: string };
  report: { title: string };
  evaluation: EvaluationSettings;
  models: { name: string; type: string; features: string; normalize?: string; params?: unknown }[];
}

/** Versions recorded in the results (core/versions.ts). */
export type Environment = Record<string, string | null>;

/** Everything a run's evaluation reads: the records of its folder, and the moment and place it is made. */
export interface RunInput {
  suite: EvaluatedSuite;
  data: RunData;
  /** The job files that belong to the plan and its data. */
  jobs: JobResult[];
  /** Job files left out, with the reason. */
  stale: { id: string; reason: string }[];
  /** Every failure record (a job that failed and then finished is left out here). */
  failures: JobFailure[];
  shards: ShardRecord[];
  plan: { dataHash: string; featureInputs?: FeatureInput[] };
  environment: Environment;
  created: string;
}

export interface ModelJob {
  id: string;
  seed: number;
  modelSeed: number;
  fold: string;
  temperature: number;
  temperatureFoundBy: string;
  fit: JobResult['fit'];
  trainClips: number;
  trainCopies: number;
  valClips: number;
  testClips: number;
  seconds: number;
  validation: ValidationCalibration | null;
  trainClassCounts?: number[];
}

export interface ModelResult {
  name: string;
  family: string;
  features: string;
  /** How its features were normalized (absent: not at all). */
  normalize?: string;
  jobs: ModelJob[];
  evaluation: ModelEvaluation;
  temperature_scaling: TemperatureSummary;
  flags: Flag[];
}

export interface LeaderboardRow {
  model: string;
  metric: RankMetric;
  value: number;
  value_lo: number;
  value_hi: number;
  uar: number;
  uar_lo: number;
  uar_hi: number;
  accuracy: number;
  ece: number;
  rank: number;
  tied_with_best: boolean;
}

export interface CorpusSummary {
  corpus: string;
  clips: number;
  speakers: number;
  female: number;
  male: number;
  min_s: number;
  /** Youngest and oldest speaker where ages are known (CREMA-D, TESS), else null. */
  age_min: number | null;
  age_max: number | null;
  median_s: number;
  max_s: number;
  hours: number;
}

export interface Results {
  format: typeof RESULTS_FORMAT;
  created: string;
  suite: { name: string; description?: string; hash: string; yaml: string; protocol: string; seeds: number[]; title: string; evaluation: EvaluationSettings };
  environment: Environment & { backend: string | null };
  data: {
    classes: string[];
    clips: number;
    corpora: string[];
    speakers: number;
    skipped: SkippedFile[];
    notes: SkippedFile[];
    labelMapping: LabelMappingRow[];
    leakage: (LeakageAudit & { seed: number })[];
    /** What was done to make the folds: committed folds' missing clips dropped (counted), validation drawn. */
    split_notes: string[];
    counts: { corpus: string; emotion: string; gender: string; clips: number }[];
    /** Per corpus: speakers and clip durations in seconds. */
    corpora_summary: CorpusSummary[];
  };
  models: ModelResult[];
  comparisons: Comparison[];
  leaderboard: LeaderboardRow[];
  /** Everything a reader must notice, with evidence: model flags (also under models[].flags) and data/split flags. */
  flags: Flag[];
  failures: JobFailure[];
  /** Job files left out: damaged, computed on other data, or not in the current plan. */
  stale_jobs: { id: string; reason: string }[];
  /** corrupt: damaged feature-cache entries that were found and recomputed. */
  cache: { hits: number; misses: number; corrupt: number };
  /** Sum over processes of each process's wall time (features and training): more than the run's wall time when processes ran side by side. */
  seconds: { features_and_training: number };
  provenance: {
    /** From the first process's start to the last one's end, over the records in shards/ (a resumed run: its last session). */
    wall_seconds: number | null;
    workers: number | null;
    cpu: string | null;
    cores: number | null;
    data: { hash: string; clips: number; per_corpus: Record<string, number> };
    /** Files the feature kinds read besides the clips (an ONNX encoder, embedding files), hashed. */
    feature_inputs: FeatureInput[];
  };
}

/** A data.json clip as a Clip (its source only named: the record keeps no decoded source). */
export const asClip = (c: RunData['clips'][number]): Clip => ({ ...c, source: { kind: 'file', path: c.path ?? c.id } }) as Clip;

/** Per-model test predictions of a run's finished jobs, with each job's temperature applied. */
export function predictionRows(data: RunData, jobs: JobResult[]): Map<string, PredictionRow[]> {
  const k = data.classes.length;
  const clips = new Map(data.clips.map((c) => [c.id, asClip(c)]));
  const rowsByModel = new Map<string, PredictionRow[]>();
  for (const j of jobs) {
    const rows = rowsByModel.get(j.model) ?? [];
    j.test.clips.forEach((id, r) => {
      const probs = j.test.probs[r];
      const clip = clips.get(id);
      // Only jobs computed on this data are handed over: a missing clip is a broken folder.
      if (!clip) throw new Error(`job ${j.id} names test clip ${id}, which data.json does not hold: the run folder is inconsistent; run the suite again`);
      const y = data.classes.indexOf(clip.emotion);
      rows.push({ clip, seed: j.seed, modelSeed: j.modelSeed ?? j.seed, fold: j.fold, y, probs, calibrated: scaled(probs, k, j.temperature) });
    });
    rowsByModel.set(j.model, rows);
  }
  return rowsByModel;
}

const modelJob = (j: JobResult): ModelJob => ({
  id: j.id,
  seed: j.seed,
  modelSeed: j.modelSeed ?? j.seed,
  fold: j.fold,
  temperature: j.temperature,
  temperatureFoundBy: j.temperatureFoundBy,
  fit: j.fit,
  trainClips: j.trainClips,
  trainCopies: j.trainCopies,
  valClips: j.valClips,
  testClips: j.test.clips.length,
  seconds: j.seconds,
  validation: j.validation ?? null,
  trainClassCounts: j.trainClassCounts,
});

function modelResults(input: RunInput, rowsByModel: Map<string, PredictionRow[]>): ModelResult[] {
  const o = evalOptions(input.suite.evaluation, input.data.classes);
  return input.suite.models
    .filter((m) => rowsByModel.has(m.name))
    .map((m) => {
      const own = input.jobs.filter((j) => j.model === m.name);
      const evaluation = evaluateModel(rowsByModel.get(m.name)!, o, `eval:${m.name}`);
      const temperature = temperatureSummary(
        own.map((j) => ({ validation: j.validation ?? null })),
        evaluation,
      );
      return {
        name: m.name,
        family: m.type,
        features: m.features,
        ...(m.normalize ? { normalize: m.normalize } : {}),
        jobs: own.map(modelJob),
        evaluation,
        temperature_scaling: temperature,
        flags: modelFlags(m.name, evaluation, temperature),
      };
    });
}

function comparisonsOf(models: ModelResult[], rowsByModel: Map<string, PredictionRow[]>, input: RunInput): Comparison[] {
  const o = evalOptions(input.suite.evaluation, input.data.classes);
  const out: Comparison[] = [];
  for (let a = 0; a < models.length; a++)
    for (let b = a + 1; b < models.length; b++)
      out.push(compareModels(models[a].name, rowsByModel.get(models[a].name)!, models[b].name, rowsByModel.get(models[b].name)!, o));
  return out;
}

function leaderboardOf(models: ModelResult[], comparisons: Comparison[], metric: RankMetric): LeaderboardRow[] {
  const ranked = [...models].sort((x, y) => y.evaluation.headline[metric].estimate - x.evaluation.headline[metric].estimate);
  const best = ranked[0]?.name;
  return ranked.map((m, i) => {
    const cmp = comparisons.find((c) => (c.a === best && c.b === m.name) || (c.b === best && c.a === m.name));
    const h = m.evaluation.headline;
    return {
      model: m.name,
      metric,
      value: h[metric].estimate,
      value_lo: h[metric].lo,
      value_hi: h[metric].hi,
      uar: h.uar.estimate,
      uar_lo: h.uar.lo,
      uar_hi: h.uar.hi,
      accuracy: h.accuracy.estimate,
      ece: m.evaluation.calibration.ece,
      rank: i + 1,
      // Not significantly worse than the top model by a paired test of the rank metric; a model
      // that shares no test clips with it cannot be tested and is not called ≈ best.
      tied_with_best: m.name === best || (cmp ? !cmp.significant && cmp.paired > 0 : false),
    };
  });
}

/** The flags about the data and the split, after the models' own. */
function runFlags(input: RunInput, models: ModelResult[]): Flag[] {
  const { data, jobs } = input;
  const asClips = data.clips.map(asClip);
  const emotionOf = new Map(data.clips.map((c) => [c.id, c.emotion]));
  const folds = new Map<string, { seed: number; fold: string; trainClassCounts: number[] | undefined; testClasses: Set<number> }>();
  for (const j of jobs)
    if (!folds.has(`${j.seed}/${j.fold}`))
      folds.set(`${j.seed}/${j.fold}`, {
        seed: j.seed,
        fold: j.fold,
        trainClassCounts: j.trainClassCounts,
        testClasses: new Set(j.test.clips.map((id) => data.classes.indexOf(emotionOf.get(id)!))),
      });
  return [
    ...models.flatMap((m) => m.flags),
    ...confoundedSlices((field) => asClips.map((c) => sliceValue(c, field)), input.suite.evaluation.slices),
    ...missingTrainClasses(data.classes, [...folds.values()]),
    ...duplicateContent(data.leakage),
    ...(models.length ? temperatureOffDomain(input.suite.split.protocol) : []),
    ...testSpeakerStatistics(models),
  ];
}

function dataSummary(data: RunData, shards: ShardRecord[]): Results['data'] {
  const count = new Map<string, number>();
  for (const c of data.clips) {
    const key = `${c.corpus}\u0000${c.emotion}\u0000${c.gender ?? 'unknown'}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  return {
    classes: data.classes,
    clips: data.clips.length,
    corpora: [...new Set(data.clips.map((c) => c.corpus))],
    speakers: new Set(data.clips.map((c) => c.speaker)).size,
    // Each process that met an undecodable clip reports it: list it once.
    skipped: [...new Map([...data.skipped, ...shards.flatMap((s) => s.featureFailures)].map((f) => [f.path, f])).values()],
    notes: data.notes ?? [],
    labelMapping: data.labelMapping,
    leakage: data.leakage,
    split_notes: data.splitNotes ?? [],
    corpora_summary: corporaSummary(data.clips),
    counts: [...count.entries()].map(([key, clips]) => {
      const [corpus, emotion, gender] = key.split('\u0000');
      return { corpus, emotion, gender, clips };
    }),
  };
}

function provenance(input: RunInput): Results['provenance'] {
  const { shards, data } = input;
  return {
    wall_seconds: wallSeconds(shards),
    workers: shards.reduce((a, s) => Math.max(a, s.workers ?? 0), 0) || null,
    cpu: shards.find((s) => s.cpu)?.cpu ?? null,
    cores: shards.find((s) => s.cores)?.cores ?? null,
    data: {
      hash: input.plan.dataHash,
      clips: data.clips.length,
      per_corpus: Object.fromEntries([...new Set(data.clips.map((c) => c.corpus))].map((c) => [c, data.clips.filter((x) => x.corpus === c).length])),
    },
    feature_inputs: input.plan.featureInputs ?? [],
  };
}

/** The run's results: a pure function of its records. Ensembles are formed here, from their members' jobs. */
export function evaluateRun(records: RunInput): Results {
  const input = { ...records, jobs: withEnsembles(records.jobs, records.suite, records.data) };
  const { suite, jobs, shards } = input;
  const rowsByModel = predictionRows(input.data, jobs);
  const models = modelResults(input, rowsByModel);
  const comparisons = comparisonsOf(models, rowsByModel, input);
  const finished = new Set(jobs.map((j) => j.id));
  return {
    format: RESULTS_FORMAT,
    created: input.created,
    suite: {
      name: suite.name,
      description: suite.description,
      hash: jobs[0]?.suiteHash ?? '',
      yaml: suite.source,
      protocol: suite.split.protocol,
      seeds: suite.seeds,
      title: suite.report.title,
      evaluation: suite.evaluation,
    },
    environment: { ...input.environment, backend: jobs.map((j) => j.fit.backend).find((b) => b) ?? null },
    data: dataSummary(input.data, shards),
    models,
    comparisons,
    leaderboard: leaderboardOf(models, comparisons, suite.evaluation.rank_by),
    flags: runFlags(input, models),
    failures: input.failures.filter((f) => !finished.has(f.id)),
    stale_jobs: input.stale,
    cache: shards.reduce((a, s) => ({ hits: a.hits + s.cache.hits, misses: a.misses + s.cache.misses, corrupt: a.corrupt + (s.cache.corrupt ?? 0) }), {
      hits: 0,
      misses: 0,
      corrupt: 0,
    }),
    seconds: { features_and_training: shards.reduce((a, s) => a + s.seconds, 0) },
    provenance: provenance(input),
  };
}

function wallSeconds(records: { started?: string; ended?: string }[]): number | null {
  const spans = records.filter((r) => r.started && r.ended).map((r) => [Date.parse(r.started!), Date.parse(r.ended!)]);
  return spans.length ? (Math.max(...spans.map((s) => s[1])) - Math.min(...spans.map((s) => s[0]))) / 1000 : null;
}

function corporaSummary(clips: RunData['clips']): CorpusSummary[] {
  const byCorpus = new Map<string, RunData['clips']>();
  for (const c of clips) byCorpus.set(c.corpus, [...(byCorpus.get(c.corpus) ?? []), c]);
  return [...byCorpus.entries()].map(([corpus, cs]) => {
    const d = cs.map((c) => c.duration ?? 0).sort((a, b) => a - b);
    const speakers = new Map(cs.map((c) => [c.speaker, c.gender]));
    const round = (x: number) => Math.round(x * 100) / 100;
    const ages = cs.filter((c) => c.age !== undefined).map((c) => c.age!);
    return {
      corpus,
      clips: cs.length,
      speakers: speakers.size,
      female: [...speakers.values()].filter((g) => g === 'female').length,
      male: [...speakers.values()].filter((g) => g === 'male').length,
      min_s: round(d[0]),
      age_min: ages.length ? Math.min(...ages) : null,
      age_max: ages.length ? Math.max(...ages) : null,
      median_s: round(d[Math.floor(d.length / 2)]),
      max_s: round(d[d.length - 1]),
      hours: round(d.reduce((a, b) => a + b, 0) / 3600),
    };
  });
}
