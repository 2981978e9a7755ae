/** Rebuild results.json, predictions.csv, slice tables and the site from a run folder. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseSuite } from './suite.ts';
import { collectResults, writeResults } from './results.ts';
import { RunFolder, readJson } from './runfolder.ts';
import { buildSite } from '../reports/site.ts';
import type { SpectrogramExample, RunData } from './records.ts';
import { errorExamples } from './examples.ts';

export async function report(runDir: string, siteDir?: string): Promise<string> {
  const folder = new RunFolder(runDir);
  if (!existsSync(folder.path('suite.yaml'))) throw new Error(`${runDir}: not a serbench run folder (no suite.yaml)`);
  // The suite as the run read it: paths relative to the original file, data not required.
  const plan = readJson<{ suitePath?: string }>(folder.path('plan.json'));
  const suite = parseSuite(readFileSync(folder.path('suite.yaml'), 'utf8'), folder.path('suite.yaml'), {
    baseDir: plan.suitePath ? dirname(plan.suitePath) : undefined,
    checkPaths: false,
  });
  const results = collectResults(suite, folder);
  writeResults(folder, results);
  const examples = existsSync(folder.path('examples.json')) ? readJson<SpectrogramExample[]>(folder.path('examples.json')) : [];
  // The clips behind each model's most confident errors, drawn while the data is at hand.
  // The run hashed every source already (data.json): the clips are found without reading them all again.
  const known = Object.fromEntries(readJson<RunData>(folder.path('data.json')).clips.map((c) => [c.id, c.hash]));
  const errors = suite.report.spectrograms ? await errorExamples(suite, results, known) : { byModel: new Map(), note: null };
  return buildSite(results, runDir, { examples, errors: errors.byModel, errorsNote: errors.note }, siteDir);
}
