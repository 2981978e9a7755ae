/**
 * Pages over several runs: `serbench compare` (two runs side by side, paired where they share
 * test clips) and `serbench site` (one index over many run sites, for publishing).
 */
import { cpSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Results } from '../harness/results.ts';
import type { PredictionRow } from '../harness/evaluate.ts';
import { compareModels, evalOptions, RANK_METRIC_NAMES } from '../harness/evaluate.ts';
import { parseSuite } from '../harness/suite.ts';
import { RunFolder, readJson } from '../harness/runfolder.ts';
import { readCurrentJobs, type RunData } from '../harness/records.ts';
import { predictionRows } from '../harness/results.ts';
import { renderSvg } from './charts.ts';
import { renderPage, template } from './site.ts';

const here = dirname(fileURLToPath(import.meta.url));

function loadResults(run: string): Results {
  const f = join(run, 'results.json');
  if (!existsSync(f)) throw new Error(`${run}: no results.json (run \`serbench report ${run}\` first)`);
  return readJson<Results>(f);
}

/** Per-model prediction rows of a run (for paired comparisons). */
function rowsOf(run: string): Map<string, PredictionRow[]> {
  const folder = new RunFolder(run);
  return predictionRows(readJson<RunData>(folder.path('data.json')), readCurrentJobs(folder).jobs);
}

const summary = (r: Results) => ({ title: r.suite.title, suite: r.suite.name, protocol: r.suite.protocol, clips: r.data.clips, created: r.created });

export async function buildComparison(runA: string, runB: string, outDir: string): Promise<string> {
  const [a, b] = [loadResults(runA), loadResults(runB)];
  const [ra, rb] = [rowsOf(runA), rowsOf(runB)];
  const key = (r: PredictionRow) => `${r.seed}/${r.fold}/${r.clip.id}`;
  const keysA = new Set([...ra.values()].flat().map(key));
  const sameData = a.data.classes.join() === b.data.classes.join() && [...rb.values()].flat().some((r) => keysA.has(key(r)));
  const suite = parseSuite(a.suite.yaml, join(runA, 'suite.yaml'), { checkPaths: false });
  const o = evalOptions(suite, a.data.classes);
  const names = [...new Set([...a.models.map((m) => m.name), ...b.models.map((m) => m.name)])];
  const rows = names.map((model) => {
    const ma = a.models.find((m) => m.name === model)?.evaluation;
    const mb = b.models.find((m) => m.name === model)?.evaluation;
    const row = {
      model,
      a: ma && { uar: ma.headline.uar, accuracy: ma.headline.accuracy, ece: ma.calibration.ece },
      b: mb && { uar: mb.headline.uar, accuracy: mb.headline.accuracy, ece: mb.calibration.ece },
      diff: ma && mb ? { estimate: mb.headline[o.rankBy].estimate - ma.headline[o.rankBy].estimate, lo: 0, hi: 0, resamples: 0 } : undefined,
      paired: 0,
      pvalue: undefined as number | undefined,
    };
    if (sameData && ra.has(model) && rb.has(model)) {
      // compareModels gives A − B on the rank metric; the page reports B − A.
      const c = compareModels(`A:${model}`, ra.get(model)!, `B:${model}`, rb.get(model)!, o);
      row.paired = c.paired;
      row.pvalue = c.mcnemar.exact_pvalue;
      row.diff = { estimate: -c.difference.estimate, lo: -c.difference.hi, hi: -c.difference.lo, resamples: c.difference.resamples ?? 0 };
    }
    return row;
  });
  const chart = await renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `UAR by model and run (${Math.round(100 * suite.evaluation.confidence)}% bootstrap intervals)`,
    data: {
      values: rows.flatMap((r) => [...(r.a ? [{ model: r.model, run: 'A', ...r.a.uar }] : []), ...(r.b ? [{ model: r.model, run: 'B', ...r.b.uar }] : [])]),
    },
    width: 360,
    height: { step: 16 },
    encoding: { y: { field: 'model', type: 'nominal', title: null }, yOffset: { field: 'run' }, color: { field: 'run', type: 'nominal' } },
    layer: [
      { mark: 'rule', encoding: { x: { field: 'lo', type: 'quantitative', scale: { domain: [0, 1] }, title: 'UAR' }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true }, encoding: { x: { field: 'estimate', type: 'quantitative' } } },
    ],
  } as never);
  mkdirSync(outDir, { recursive: true });
  copyFileSync(join(here, 'style.css'), join(outDir, 'style.css'));
  const body = template('compare')({ a: summary(a), b: summary(b), sameData, rows, chart, metric: RANK_METRIC_NAMES[o.rankBy] });
  writeFileSync(join(outDir, 'index.html'), renderPage({ title: 'Comparison', suiteTitle: `${a.suite.name} vs ${b.suite.name}`, root: '', body }));
  return outDir;
}

/** One index over many runs: each run's site copied under <out>/<run name>/. */
export function buildCollection(runs: string[], outDir: string, title = 'serbench runs'): string {
  mkdirSync(outDir, { recursive: true });
  copyFileSync(join(here, 'style.css'), join(outDir, 'style.css'));
  const used = new Set<string>();
  const entries = runs.map((run) => {
    const r = loadResults(run);
    if (!existsSync(join(run, 'site', 'index.html'))) throw new Error(`${run}: no site/ (run \`serbench report ${run}\` first)`);
    let dir = basename(run).replace(/[^A-Za-z0-9_.-]/g, '_') || 'run';
    while (used.has(dir)) dir += '_';
    used.add(dir);
    cpSync(join(run, 'site'), join(outDir, dir), { recursive: true });
    const best = r.leaderboard[0];
    return {
      dir,
      name: basename(run),
      suite: r.suite.name,
      protocol: r.suite.protocol,
      clips: r.data.clips,
      models: r.models.map((m) => m.name).join(', '),
      best: best?.model ?? '—',
      bestUar: best?.uar,
      created: r.created,
    };
  });
  writeFileSync(join(outDir, 'index.html'), renderPage({ title, suiteTitle: '', root: '', body: template('collection')({ title, runs: entries }) }));
  return outDir;
}
