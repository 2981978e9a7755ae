/**
 * Gather a run folder's finished jobs into results.json (versioned, with a JSON Schema),
 * predictions.csv (one row per clip and job) and one CSV per fairness slice.
 */
import { existsSync } from 'node:fs';
import type { Clip } from '../datasets/types.ts';
import type { Suite, RankMetric } from './suite.ts';
import type { FeatureInput } from '../datasets/feature-kind.ts';
import { readCurrentJobs, type JobResult, type JobFailure, type ValidationCalibration, type RunData, type PlanRecord } from './records.ts';
import { RunFolder, readJson, writeJson, writeAtomic, fileComponent } from './runfolder.ts';
import { evaluateModel, compareModels, evalOptions, sliceValue, type ModelEvaluation, type Comparison, type PredictionRow } from './stats/evaluate.ts';
import {
  modelFlags,
  temperatureSummary,
  confoundedSlices,
  missingTrainClasses,
  duplicateContent,
  temperatureOffDomain,
  type Flag,
  type TemperatureSummary,
} from './stats/flags.ts';
import { applyTemperature, floorProbabilities } from './stats/calibration.ts';
import type { LabelMappingRow } from './data.ts';
import type { LeakageAudit } from './splits.ts';
import type { SkippedFile } from '../datasets/types.ts';
import { versions } from './versions.ts';

/** 2: proportion intervals (Wilson / Clopper–Pearson) with n and method, gaps with intervals, rank-metric comparisons, flags, provenance. */
export const RESULTS_FORMAT = 'serbench-results/2';

export interface ModelResult {
  name: string;
  family: string;
  features: string;
  jobs: {
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
  }[];
  evaluation: ModelEvaluation;
  temperature_scaling: TemperatureSummary;
  flags: Flag[];
}

export interface Results {
  format: typeof RESULTS_FORMAT;
  created: string;
  suite: { name: string; description?: string; hash: string; yaml: string; protocol: string; seeds: number[]; title: string; evaluation: Suite['evaluation'] };
  environment: ReturnType<typeof versions> & { backend: string | null };
  data: {
    classes: string[];
    clips: number;
    corpora: string[];
    speakers: number;
    skipped: SkippedFile[];
    notes: SkippedFile[];
    labelMapping: LabelMappingRow[];
    leakage: (LeakageAudit & { seed: number })[];
    counts: { corpus: string; emotion: string; gender: string; clips: number }[];
    /** Per corpus: speakers and clip durations in seconds. */
    corpora_summary: {
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
    }[];
  };
  models: ModelResult[];
  comparisons: Comparison[];
  leaderboard: {
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
  }[];
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
const asClip = (c: RunData['clips'][number]): Clip => ({ ...c, source: { kind: 'file', path: c.path ?? c.id } }) as Clip;

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
      // readCurrentJobs only hands over jobs computed on this data: a missing clip is a broken folder.
      if (!clip) throw new Error(`job ${j.id} names test clip ${id}, which data.json does not hold: the run folder is inconsistent; run the suite again`);
      rows.push({
        clip,
        seed: j.seed,
        modelSeed: j.modelSeed ?? j.seed,
        fold: j.fold,
        y: data.classes.indexOf(clip.emotion),
        probs,
        calibrated: Array.from(applyTemperature(floorProbabilities(probs), k, j.temperature)),
      });
    });
    rowsByModel.set(j.model, rows);
  }
  return rowsByModel;
}

export function collectResults(suite: Suite, folder: RunFolder): Results {
  const data = readJson<RunData>(folder.path('data.json'));
  const { jobs, stale } = readCurrentJobs(folder);
  const finished = new Set(jobs.map((j) => j.id));
  const failures = folder
    .listJson('failed')
    .map((f) => readJson<JobFailure>(f))
    .filter((f) => !finished.has(f.id));
  const shards = folder.listJson('shards').map((f) =>
    readJson<{
      cache: { hits: number; misses: number; corrupt?: number };
      featureFailures: SkippedFile[];
      seconds: number;
      started?: string;
      ended?: string;
      workers?: number;
      cpu?: string;
      cores?: number;
    }>(f),
  );
  const plan = readJson<PlanRecord>(folder.path('plan.json'));
  const o = evalOptions(suite, data.classes);
  const rowsByModel = predictionRows(data, jobs);
  const models: ModelResult[] = suite.models
    .filter((m) => rowsByModel.has(m.name))
    .map((m) => {
      const own = jobs.filter((j) => j.model === m.name);
      const evaluation = evaluateModel(rowsByModel.get(m.name)!, o, `eval:${m.name}`);
      const temperature = temperatureSummary(
        own.map((j) => ({ validation: j.validation ?? null })),
        evaluation,
      );
      return {
        name: m.name,
        family: m.type,
        features: m.features,
        jobs: own.map((j) => ({
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
        })),
        evaluation,
        temperature_scaling: temperature,
        flags: modelFlags(m.name, evaluation, temperature),
      };
    });
  const comparisons: Comparison[] = [];
  for (let a = 0; a < models.length; a++) {
    for (let b = a + 1; b < models.length; b++) {
      comparisons.push(compareModels(models[a].name, rowsByModel.get(models[a].name)!, models[b].name, rowsByModel.get(models[b].name)!, o));
    }
  }
  const metric = suite.evaluation.rank_by;
  const ranked = [...models].sort((x, y) => y.evaluation.headline[metric].estimate - x.evaluation.headline[metric].estimate);
  const best = ranked[0]?.name;
  const leaderboard = ranked.map((m, i) => {
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
  const count = new Map<string, number>();
  for (const c of data.clips) {
    const key = `${c.corpus}\u0000${c.emotion}\u0000${c.gender ?? 'unknown'}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const backend = jobs.map((j) => j.fit.backend).find((b) => b) ?? null;
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
  const flags: Flag[] = [
    ...models.flatMap((m) => m.flags),
    ...confoundedSlices((field) => asClips.map((c) => sliceValue(c, field)), suite.evaluation.slices),
    ...missingTrainClasses(data.classes, [...folds.values()]),
    ...duplicateContent(data.leakage),
    ...(models.length ? temperatureOffDomain(suite.split.protocol) : []),
  ];
  return {
    format: RESULTS_FORMAT,
    created: new Date().toISOString(),
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
    environment: { ...versions(), backend },
    data: {
      classes: data.classes,
      clips: data.clips.length,
      corpora: [...new Set(data.clips.map((c) => c.corpus))],
      speakers: new Set(data.clips.map((c) => c.speaker)).size,
      // Each process that met an undecodable clip reports it: list it once.
      skipped: [...new Map([...data.skipped, ...shards.flatMap((s) => s.featureFailures)].map((f) => [f.path, f])).values()],
      notes: data.notes ?? [],
      labelMapping: data.labelMapping,
      leakage: data.leakage,
      corpora_summary: corporaSummary(data.clips),
      counts: [...count.entries()].map(([key, clips]) => {
        const [corpus, emotion, gender] = key.split('\u0000');
        return { corpus, emotion, gender, clips };
      }),
    },
    models,
    comparisons,
    leaderboard,
    flags,
    failures,
    stale_jobs: stale,
    cache: shards.reduce((a, s) => ({ hits: a.hits + s.cache.hits, misses: a.misses + s.cache.misses, corrupt: a.corrupt + (s.cache.corrupt ?? 0) }), {
      hits: 0,
      misses: 0,
      corrupt: 0,
    }),
    seconds: { features_and_training: shards.reduce((a, s) => a + s.seconds, 0) },
    provenance: {
      wall_seconds: wallSeconds(shards),
      workers: shards.reduce((a, s) => Math.max(a, s.workers ?? 0), 0) || null,
      cpu: shards.find((s) => s.cpu)?.cpu ?? null,
      cores: shards.find((s) => s.cores)?.cores ?? null,
      data: {
        hash: plan.dataHash,
        clips: data.clips.length,
        per_corpus: Object.fromEntries([...new Set(data.clips.map((c) => c.corpus))].map((c) => [c, data.clips.filter((x) => x.corpus === c).length])),
      },
      feature_inputs: plan.featureInputs ?? [],
    },
  };
}

function wallSeconds(records: { started?: string; ended?: string }[]): number | null {
  const spans = records.filter((r) => r.started && r.ended).map((r) => [Date.parse(r.started!), Date.parse(r.ended!)]);
  return spans.length ? (Math.max(...spans.map((s) => s[1])) - Math.min(...spans.map((s) => s[0]))) / 1000 : null;
}

function corporaSummary(clips: RunData['clips']): Results['data']['corpora_summary'] {
  const byCorpus = new Map<string, RunData['clips']>();
  for (const c of clips) byCorpus.set(c.corpus, [...(byCorpus.get(c.corpus) ?? []), c]);
  return [...byCorpus.entries()].map(([corpus, cs]) => {
    const d = cs.map((c) => c.duration ?? 0).sort((a, b) => a - b);
    const speakers = new Map(cs.map((c) => [c.speaker, c.gender]));
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      corpus,
      clips: cs.length,
      speakers: speakers.size,
      female: [...speakers.values()].filter((g) => g === 'female').length,
      male: [...speakers.values()].filter((g) => g === 'male').length,
      min_s: round(d[0]),
      age_min: cs.some((c) => c.age !== undefined) ? Math.min(...cs.filter((c) => c.age !== undefined).map((c) => c.age!)) : null,
      age_max: cs.some((c) => c.age !== undefined) ? Math.max(...cs.filter((c) => c.age !== undefined).map((c) => c.age!)) : null,
      median_s: round(d[Math.floor(d.length / 2)]),
      max_s: round(d[d.length - 1]),
      hours: round(d.reduce((a, b) => a + b, 0) / 3600),
    };
  });
}

const csvCell = (v: unknown) => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
export const toCsv = (header: string[], rows: unknown[][]) => [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

export function writeResults(folder: RunFolder, results: Results): void {
  writeJson(folder.path('results.json'), results);
  const { jobs } = readCurrentJobs(folder);
  const data = readJson<RunData>(folder.path('data.json'));
  const byId = new Map(data.clips.map((c) => [c.id, c]));
  const k = data.classes.length;
  const header = [
    'model',
    'seed',
    'model_seed',
    'fold',
    'clip',
    'corpus',
    'speaker',
    'gender',
    'age',
    'intensity',
    'truth',
    'predicted',
    'confidence',
    'temperature',
    ...data.classes.map((c) => `p_${c}`),
  ];
  const rows: unknown[][] = [];
  for (const j of jobs) {
    j.test.clips.forEach((id, r) => {
      const c = byId.get(id)!;
      const p = j.test.probs[r];
      let best = 0;
      for (let q = 1; q < k; q++) if (p[q] > p[best]) best = q;
      rows.push([
        j.model,
        j.seed,
        j.modelSeed ?? j.seed,
        j.fold,
        c.id,
        c.corpus,
        c.speaker,
        c.gender,
        c.age,
        c.intensity,
        c.emotion,
        data.classes[best],
        p[best],
        j.temperature,
        ...p,
      ]);
    });
  }
  writeAtomic(folder.path('predictions.csv'), toCsv(header, rows));
  for (const m of results.models) {
    for (const s of m.evaluation.slices) {
      writeAtomic(
        // Slice fields are names from SLICE_FIELDS joined by '|': safe as they are, once '|' is '+'.
        folder.path('slices', `${fileComponent(m.name)}__${s.field.replace(/\|/g, '+')}.csv`),
        toCsv(
          ['model', 'field', 'group', 'n', 'accuracy', 'accuracy_lo', 'accuracy_hi', 'uar', 'uar_lo', 'uar_hi', 'macro_f1', 'ece', 'mean_confidence', 'small'],
          s.groups.map((g) => [
            m.name,
            s.field,
            g.group,
            g.n,
            g.accuracy.estimate,
            g.accuracy.lo,
            g.accuracy.hi,
            g.uar.estimate,
            g.uar.lo,
            g.uar.hi,
            g.macro_f1,
            g.ece,
            g.mean_confidence,
            g.small,
          ]),
        ),
      );
    }
  }
  writeJson(folder.path('results.schema.json'), resultsJsonSchema());
}

export const hasResults = (folder: RunFolder) => existsSync(folder.path('results.json'));

/** JSON Schema of results.json's top level and leaderboard (the parts other tools read). */
export function resultsJsonSchema(): Record<string, unknown> {
  const interval = {
    type: 'object',
    required: ['estimate', 'lo', 'hi', 'n', 'method'],
    properties: {
      estimate: { type: 'number' },
      lo: { type: 'number' },
      hi: { type: 'number' },
      n: { type: 'integer', description: 'distinct clips the interval rests on' },
      method: { enum: ['bootstrap', 'wilson', 'clopper-pearson', 'newcombe'] },
      resamples: { type: 'integer', description: 'bootstrap only' },
    },
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'serbench results',
    type: 'object',
    required: ['format', 'created', 'suite', 'environment', 'data', 'models', 'comparisons', 'leaderboard', 'flags', 'failures'],
    properties: {
      format: { const: RESULTS_FORMAT },
      created: { type: 'string', format: 'date-time' },
      suite: { type: 'object', required: ['name', 'hash', 'yaml', 'protocol', 'seeds'] },
      environment: { type: 'object', required: ['serbench', 'node'] },
      data: { type: 'object', required: ['classes', 'clips', 'skipped', 'labelMapping', 'leakage', 'counts'] },
      models: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'family', 'features', 'jobs', 'evaluation'],
          properties: {
            evaluation: {
              type: 'object',
              required: ['n', 'headline', 'classification', 'calibration', 'calibrated', 'overconfidence', 'slices'],
              properties: { headline: { type: 'object', properties: { accuracy: interval, uar: interval, macro_f1: interval, ece: interval } } },
            },
          },
        },
      },
      comparisons: {
        type: 'array',
        items: { type: 'object', required: ['a', 'b', 'paired', 'metric', 'difference', 'accuracy_difference', 'mcnemar', 'significant'] },
      },
      leaderboard: {
        type: 'array',
        items: {
          type: 'object',
          required: ['model', 'metric', 'value', 'value_lo', 'value_hi', 'uar', 'uar_lo', 'uar_hi', 'accuracy', 'ece', 'rank', 'tied_with_best'],
        },
      },
      flags: { type: 'array', items: { type: 'object', required: ['kind', 'title', 'evidence'] } },
      failures: { type: 'array' },
    },
  };
}
