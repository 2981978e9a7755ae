/**
 * Pages over several runs: `serbench compare` (runs side by side with the first, paired where
 * they share test clips) and `serbench site` (one index over many run sites, for publishing).
 * What they show is computed by harness/compare-runs.ts.
 */
import { cpSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunComparison, CollectedRun } from '../harness/compare-runs.ts';
import { renderSvg, resetChartIds } from './charts.ts';
import { renderPage, template, modelFile, here, confidenceLabel } from './render.ts';
import { fileComponent } from '../core/file-names.ts';

/** The comparison page, with a chart of every model's UAR by run. */
export async function buildComparison(c: RunComparison, runs: string[], outDir: string): Promise<string> {
  resetChartIds();
  const { results, suites, baseSummary, metric, against, base } = c;
  const chart = await renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `UAR by model and run (${confidenceLabel(suites[0].evaluation.confidence)} bootstrap intervals)`,
    data: {
      values: results.flatMap((r, i) => r.models.map((m) => ({ model: m.name, run: `${i + 1}: ${basename(runs[i])}`, ...m.evaluation.headline.uar }))),
    },
    width: 360,
    height: { step: 12 },
    encoding: { y: { field: 'model', type: 'nominal', title: null }, yOffset: { field: 'run' }, color: { field: 'run', type: 'nominal' } },
    layer: [
      { mark: 'rule', encoding: { x: { field: 'lo', type: 'quantitative', scale: { domain: [0, 1] }, title: 'UAR' }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true }, encoding: { x: { field: 'estimate', type: 'quantitative' } } },
    ],
  } as never);
  mkdirSync(outDir, { recursive: true });
  copyFileSync(join(here, 'style.css'), join(outDir, 'style.css'));
  const body = template('compare')({ base: baseSummary, against, chart, metric, classes: base.data.classes });
  writeFileSync(join(outDir, 'index.html'), renderPage({ title: 'Comparison', suiteTitle: results.map((r) => r.suite.name).join(' vs '), root: '', body }));
  return outDir;
}

/**
 * One site over many runs, for publishing: each run's site copied under <out>/<run name>/, a
 * model × run leaderboard (UAR with its interval, accuracy, macro F1, ECE, worst-group accuracy)
 * linking to every run and model page, and a comparison of every run with the first.
 */
export async function buildCollection(runs: CollectedRun[], comparison: RunComparison | null, outDir: string, title = 'serbench runs'): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  copyFileSync(join(here, 'style.css'), join(outDir, 'style.css'));
  const used = new Set<string>();
  const loaded = runs.map((run) => {
    let dir = fileComponent(basename(run.dir)) || 'run';
    while (used.has(dir) || dir === 'compare') dir += '-';
    used.add(dir);
    cpSync(join(run.dir, 'site'), join(outDir, dir), { recursive: true });
    return { ...run, r: run.results, dir };
  });
  const entries = loaded.map(({ dir: site, r }, i) => {
    const best = r.leaderboard[0];
    return {
      dir: site,
      name: basename(runs[i].dir),
      suite: r.suite.name,
      protocol: r.suite.protocol,
      clips: r.data.clips,
      models: r.models.map((m) => m.name).join(', '),
      best: best?.model ?? '—',
      bestUar: best?.uar,
      created: r.created,
    };
  });
  const names = [...new Set(loaded.flatMap(({ r }) => r.leaderboard.map((l) => l.model)))];
  const matrix = names.map((model) => ({
    model,
    cells: loaded.map(({ r, dir, worst }) => {
      const m = r.models.find((x) => x.name === model);
      if (!m) return null;
      const e = m.evaluation;
      return {
        href: `${dir}/models/${encodeURIComponent(modelFile(model))}`,
        uar: e.headline.uar,
        accuracy: e.headline.accuracy.estimate,
        f1: e.headline.macro_f1.estimate,
        ece: e.calibration.ece,
        worst: worst.get(model) ?? null,
        best: r.leaderboard[0]?.model === model,
      };
    }),
  }));
  const compared = comparison
    ? await buildComparison(
        comparison,
        runs.map((x) => x.dir),
        join(outDir, 'compare'),
      ).then(() => 'compare/index.html')
    : null;
  writeFileSync(
    join(outDir, 'index.html'),
    renderPage({ title, suiteTitle: '', root: '', body: template('collection')({ title, runs: entries, matrix, compared }) }),
  );
  return outDir;
}
