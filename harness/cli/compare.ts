/** `serbench compare` and `serbench site`: runs read once each, compared (harness/compare-runs.ts), rendered (reports/collection.ts). */
import { compareRuns, collectRuns } from '../compare-runs.ts';
import { buildComparison, buildCollection } from '../../reports/collection.ts';
import { comparisonTable, formatTable } from '../../reports/tables.ts';

/** Every run against the first, as a page in `outDir`; returns the folder and the summary as text. */
export async function comparePages(runs: string[], outDir: string): Promise<{ out: string; summary: string }> {
  const c = compareRuns(runs);
  return { out: await buildComparison(c, runs, outDir), summary: formatTable(comparisonTable(c), 'text') };
}

/** One static site over many runs, for publishing; returns the folder. */
export async function collectionSite(runs: string[], outDir: string, title?: string): Promise<string> {
  const c = collectRuns(runs);
  return buildCollection(c.runs, c.comparison, outDir, title);
}
