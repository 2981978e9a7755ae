/** `serbench report`: a run folder's results (evaluated again from its job files) and its report site. */
import { readRun } from '../run-folder/read-run.ts';
import { evaluateRun, type Results } from '../stats/evaluate-run.ts';
import { withEnsembles } from '../stats/ensembles.ts';
import { writeResults } from '../run-folder/write-results.ts';
import { reportView } from '../stats/verdicts.ts';
import { errorPictures } from '../pictures.ts';
import { versions } from '../../core/versions.ts';
import { buildSite } from '../../reports/site.ts';

export interface ReportOptions {
  /** Where the site goes (default <run>/site). */
  siteDir?: string;
  /** The moment the results are stamped with (default now). */
  created?: string;
}

/** Evaluate a run folder, write its results, build its site; returns the site folder and the results. */
export async function reportRun(runDir: string, o: ReportOptions = {}): Promise<{ site: string; results: Results }> {
  const run = readRun(runDir);
  const input = run.input(versions(), o.created ?? new Date().toISOString());
  const results = evaluateRun(input);
  // predictions.csv holds the ensembles' rows too (they are formed from their members' jobs).
  writeResults(run.folder, results, withEnsembles(input.jobs, input.suite, input.data), input.data);
  // The clips behind each model's most confident errors: found from data.json, only their files read.
  const errors = run.suite().report.spectrograms ? await errorPictures(run, results) : { byModel: new Map(), note: null };
  const site = await buildSite(reportView(results), run.dir, { examples: run.examples(), errors: errors.byModel, errorsNote: errors.note }, o.siteDir);
  return { site, results };
}

/** Rebuild results.json, predictions.csv, slice tables and the site from a run folder; returns the site folder. */
export async function report(runDir: string, siteDir?: string): Promise<string> {
  return (await reportRun(runDir, { siteDir })).site;
}
