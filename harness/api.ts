/**
 * serbench as a library: `import { runSuite, loadSuite, loadRun } from 'serbench'`.
 *
 *   const suite = loadSuite('suites/quick.yaml');
 *   await runSuite(suite, { out: 'runs/quick', cacheDir: '.cache/features' });
 *   const run = await loadRun('runs/quick');          // typed results of a run folder
 *   console.log(run.results.leaderboard[0]);
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Results } from './results.ts';
import type { RunData, PlanRecord } from './records.ts';
import { RunFolder, readJson } from './runfolder.ts';
import { readCurrentJobs, type JobResult } from './records.ts';

export { loadSuite, parseSuite, suiteJsonSchema, SuiteError, type Suite, type ModelSpec } from './suite.ts';
export { runSuite, type RunOptions, type RunSummary } from './run.ts';
export { report } from './report.ts';
export { buildTable, formatTable, TABLE_KINDS, TABLE_FORMATS, type TableKind, type TableFormat } from './tables.ts';
export { evaluateModel, compareModels, type ModelEvaluation, type PredictionRow, type EvalOptions } from './stats/evaluate.ts';
export { MODEL_FAMILIES, MODEL_TYPES, createClassifier, loadClassifier, type ModelFamily } from '../models/registry.ts';
export type { Classifier, Batch, FitOptions, FitReport, SerializedModel } from '../models/classifier.ts';
export type { Results, JobResult, RunData, PlanRecord };

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
  const abs = resolve(dir);
  const folder = new RunFolder(abs);
  if (!existsSync(join(abs, 'results.json'))) throw new Error(`${abs}: no results.json (not a run folder, or run \`serbench report ${dir}\` first)`);
  const results = JSON.parse(readFileSync(join(abs, 'results.json'), 'utf8')) as Results;
  return {
    dir: abs,
    results,
    data: readJson<RunData>(folder.path('data.json')),
    plan: readJson<PlanRecord>(folder.path('plan.json')),
    jobs: readCurrentJobs(folder).jobs,
  };
}
