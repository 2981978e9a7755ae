/**
 * Writing a run's results: results.json (versioned, with a JSON Schema), predictions.csv (one row
 * per test clip and job) and one CSV per fairness slice. Only I/O: what is written is computed by
 * harness/stats/evaluate-run.ts.
 */
import type { Results } from '../stats/evaluate-run.ts';
import { RESULTS_FORMAT } from '../stats/evaluate-run.ts';
import type { JobResult, RunData } from '../stats/run-records.ts';
import { metrics } from '../stats/metric-table.ts';
import { writeJson, writeAtomic, type RunFolder } from './folder.ts';
import { fileComponent, sliceFileName } from '../../core/file-names.ts';

const csvCell = (v: unknown) => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
export const toCsv = (header: string[], rows: unknown[][]) => [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

/** predictions.csv's columns, also those `serbench predict` writes. */
export const predictionsHeader = (classes: string[]) => [
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
  ...classes.map((c) => `p_${c}`),
];

/** results.json, predictions.csv (one row per test clip and job, every probability) and one CSV per slice. */
export function writeResults(folder: RunFolder, results: Results, jobs: JobResult[], data: RunData): void {
  writeJson(folder.path('results.json'), results);
  const byId = new Map(data.clips.map((c) => [c.id, c]));
  const k = data.classes.length;
  const header = predictionsHeader(data.classes);
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
  for (const m of results.models)
    for (const s of m.evaluation.slices) writeAtomic(folder.path('slices', `${fileComponent(m.name)}__${sliceFileName(s.field)}.csv`), sliceCsv(m.name, s));
  writeJson(folder.path('results.schema.json'), resultsJsonSchema());
}

type Slice = Results['models'][number]['evaluation']['slices'][number];
type Interval = { estimate: number; lo: number; hi: number };

/** One slice's groups: n, every slice metric of the table (with its interval where it has one), mean confidence. */
function sliceCsv(model: string, s: Slice): string {
  const table = metrics().filter((m) => m.slices);
  const header = [
    'model',
    'field',
    'group',
    'n',
    ...table.flatMap((m) => (m.slices === 'interval' ? [m.key, `${m.key}_lo`, `${m.key}_hi`] : [m.key])),
    'mean_confidence',
    'small',
  ];
  const rows = s.groups.map((g) => [
    model,
    s.field,
    g.group,
    g.n,
    ...table.flatMap((m) => {
      const v = g[m.key];
      return m.slices === 'interval' ? [(v as Interval).estimate, (v as Interval).lo, (v as Interval).hi] : [v];
    }),
    g.mean_confidence,
    g.small,
  ]);
  return toCsv(header, rows);
}

/** JSON Schema of results.json's top level and leaderboard (the parts other tools read). */
export function resultsJsonSchema(): Record<string, unknown> {
  const interval = {
    type: 'object',
    required: ['estimate', 'lo', 'hi', 'n', 'method'],
    properties: {
      estimate: { type: 'number' },
      lo: { type: ['number', 'null'], description: 'null: no interval was formed (a bootstrap of fewer than 10 clips, or bootstrap: 0)' },
      hi: { type: ['number', 'null'] },
      n: { type: 'integer', description: 'distinct clips the interval rests on' },
      method: {
        enum: ['bootstrap', 'basic-bootstrap', 'wilson', 'clopper-pearson', 'newcombe'],
        description: 'basic-bootstrap: percentiles reflected about the estimate (ECE)',
      },
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
              properties: { headline: { type: 'object', properties: Object.fromEntries(metrics().map((m) => [m.key, interval])) } },
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
