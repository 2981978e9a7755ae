/**
 * serbench as a library: `import { runSuite, loadSuite, loadRun } from 'serbench'`.
 *
 *   const suite = loadSuite('suites/quick.yaml');
 *   await runSuite(suite, { out: 'runs/quick', cacheDir: '.cache/features' });
 *   await report('runs/quick');
 *   const run = await loadRun('runs/quick');          // typed results of a run folder
 *   console.log(run.results.leaderboard[0]);
 */
import { readRun } from './run-folder/read-run.ts';
import type { Results } from './stats/evaluate-run.ts';
import type { JobResult, RunData } from './stats/run-records.ts';
import type { PlanRecord } from './run-folder/records.ts';
import { reportView } from './stats/verdicts.ts';
import * as tables from '../reports/tables.ts';

export { loadSuite, parseSuite, SuiteError, type Suite, type ModelSpec } from './suite.ts';
export { suiteJsonSchema } from './suite-schema.ts';
export { runSuite, type RunOptions, type RunSummary } from './run/run.ts';
export { readRun, RunReader } from './run-folder/read-run.ts';
export { evaluateRun, type RunInput } from './stats/evaluate-run.ts';
export { formatTable, cellText, TABLE_KINDS, TABLE_FORMATS, type Table, type Cell, type TableKind, type TableFormat } from '../reports/tables.ts';
export { evaluateModel, compareModels, type ModelEvaluation, type PredictionRow, type EvalOptions } from './stats/evaluate.ts';
export { registerMetric, metrics, type MetricEntry } from './stats/metric-table.ts';
export { MODEL_FAMILIES, MODEL_TYPES, createClassifier, loadClassifier, type ModelFamily } from '../models/registry.ts';
export type { Classifier, FitOptions, FitReport, SerializedModel } from '../models/classifier.ts';
export { allSamples, gather, sampleSize, chunks, type Batch, type SampleReader } from '../core/batch.ts';
export type { Results, JobResult, RunData, PlanRecord };

/**
 * Rebuild a run folder's results and its site; returns the site folder. The site's chart library
 * loads on the first call, so that importing serbench (a model of one's own does) stays light.
 */
export async function report(runDir: string, siteDir?: string): Promise<string> {
  return (await import('./cli/report.ts')).report(runDir, siteDir);
}

/** A table of a run's results (leaderboard, per-class, per-fold, fairness), for formatTable. */
export const buildTable = (results: Results, kind: tables.TableKind) => tables.buildTable(reportView(results), kind);

export interface LoadedRun {
  dir: string;
  /** results.json: every metric, interval, slice, comparison and flag. */
  results: Results;
  /** data.json: the clips (with content hashes), skipped files, leakage audit. */
  data: RunData;
  plan: PlanRecord;
  /** The job files that belong to the plan and its data (stale ones are left out). */
  jobs: JobResult[];
}

/** The typed contents of a run folder. Refuses a folder without results (run `serbench report` on it first). */
export async function loadRun(dir: string): Promise<LoadedRun> {
  const run = readRun(dir);
  return { dir: run.dir, results: run.results(), data: run.data(), plan: run.plan(), jobs: run.current().jobs };
}
