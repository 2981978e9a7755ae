/**
 * Comparing runs: each run against the first (the baseline), paired where they share test
 * clips (the same clips under the same split seed, model seed and fold), with the suites'
 * differences, per-class recall deltas, and warnings when class sets or test clips differ; and
 * each model's worst group. reports/collection.ts renders what this computes.
 */
import { basename } from 'node:path';
import type { Results } from './stats/evaluate-run.ts';
import { predictionRows } from './stats/evaluate-run.ts';
import type { PredictionRow } from './stats/evaluate.ts';
import { compareModels, evalOptions } from './stats/evaluate.ts';
import { metric } from './stats/metric-table.ts';
import type { Interval } from './stats/significance.ts';
import { parseSuite, type Suite } from './suite.ts';
import { readRun, type RunReader } from './run-folder/read-run.ts';

export interface RunSummaryLine {
  title: string;
  name: string;
  suite: string;
  protocol: string;
  clips: number;
  created: string;
}

export interface ModelAgainstBase {
  model: string;
  a: { uar: Interval; accuracy: Interval; ece: number } | undefined;
  b: { uar: Interval; accuracy: Interval; ece: number } | undefined;
  /** B − A on the rank metric: paired where the runs share test clips, else the plain difference (no interval). */
  diff: { estimate: number; lo: number; hi: number; resamples: number } | undefined;
  paired: number;
  pvalue: number | undefined;
  classDeltas: { class: string; delta: number }[];
}

export interface RunAgainstBase {
  run: RunSummaryLine;
  paired: boolean;
  warnings: string[];
  differences: string[];
  models: ModelAgainstBase[];
}

export interface RunComparison {
  results: Results[];
  suites: Suite[];
  base: Results;
  baseSummary: RunSummaryLine;
  /** The rank metric's label. */
  metric: string;
  against: RunAgainstBase[];
}

const summary = (r: Results, dir: string): RunSummaryLine => ({
  title: r.suite.title,
  name: basename(dir),
  suite: r.suite.name,
  protocol: r.suite.protocol,
  clips: r.data.clips,
  created: r.created,
});

/** The suite fields that differ between two runs, as "field: A → B" lines. */
function suiteDifferences(a: Suite, b: Suite): string[] {
  const pick = (s: Suite) => ({
    protocol: s.split.protocol,
    split: { ...s.split, fold_files: undefined },
    seeds: s.seeds,
    model_seeds: s.model_seeds,
    datasets: s.datasets.map((d) => ({ corpus: d.corpus, path: d.path, filter: d.filter, synthetic: d.synthetic })),
    labels: s.labels,
    augment: s.augment,
    features: s.features,
    evaluation: s.evaluation,
    ...Object.fromEntries(
      [...new Set([...a.models, ...b.models].map((m) => m.name))].map((n) => [`model ${n}`, [...s.models].find((m) => m.name === n) ?? null]),
    ),
  });
  const [pa, pb] = [pick(a), pick(b)] as Record<string, unknown>[];
  const show = (v: unknown) => (v === undefined || v === null ? '—' : JSON.stringify(v));
  return Object.keys({ ...pa, ...pb })
    .filter((k) => JSON.stringify(pa[k]) !== JSON.stringify(pb[k]))
    .map((k) => `${k}: ${show(pa[k])} → ${show(pb[k])}`);
}

const pairKey = (r: PredictionRow) => `${r.seed}/${r.modelSeed}/${r.fold}/${r.clip.id}`;

/** One model of a run against the baseline's model of the same name. */
function modelAgainst(
  model: string,
  base: Results,
  r: Results,
  baseRows: Map<string, PredictionRow[]>,
  rows: Map<string, PredictionRow[]>,
  paired: boolean,
  suite: Suite,
): ModelAgainstBase {
  const o = evalOptions(suite.evaluation, base.data.classes);
  const ma = base.models.find((m) => m.name === model)?.evaluation;
  const mb = r.models.find((m) => m.name === model)?.evaluation;
  const row: ModelAgainstBase = {
    model,
    a: ma && { uar: ma.headline.uar, accuracy: ma.headline.accuracy, ece: ma.calibration.ece },
    b: mb && { uar: mb.headline.uar, accuracy: mb.headline.accuracy, ece: mb.calibration.ece },
    diff: ma && mb ? { estimate: mb.headline[o.rankBy].estimate - ma.headline[o.rankBy].estimate, lo: 0, hi: 0, resamples: 0 } : undefined,
    paired: 0,
    pvalue: undefined,
    classDeltas:
      ma && mb
        ? base.data.classes
            .filter((c) => r.data.classes.includes(c))
            .map((c) => ({
              class: c,
              delta: mb.per_class[r.data.classes.indexOf(c)].recall.estimate - ma.per_class[base.data.classes.indexOf(c)].recall.estimate,
            }))
        : [],
  };
  if (paired && baseRows.has(model) && rows.has(model)) {
    // compareModels gives A − B on the rank metric; the page reports B − A.
    const c = compareModels(`A:${model}`, baseRows.get(model)!, `B:${model}`, rows.get(model)!, o);
    row.paired = c.paired;
    row.pvalue = c.mcnemar.exact_pvalue;
    row.diff = { estimate: -c.difference.estimate, lo: -c.difference.hi, hi: -c.difference.lo, resamples: c.difference.resamples ?? 0 };
  }
  return row;
}

/**
 * Compare runs against the first (the baseline): suites' differences, each model's metrics with
 * the difference to the baseline (paired where the runs share test clips: the same clips in the
 * same split seed, model seed and fold), per-class recall deltas, and warnings when class sets or
 * test clips differ.
 */
export function compareRuns(runs: string[]): RunComparison {
  if (runs.length < 2) throw new Error('compare needs at least two run folders');
  const readers: RunReader[] = runs.map(readRun);
  const results = readers.map((x) => x.results());
  const rows = readers.map((x) => predictionRows(x.data(), x.current().jobs));
  const suites = results.map((r, i) => parseSuite(r.suite.yaml, readers[i].folder.path('suite.yaml'), { checkPaths: false }));
  const [base, baseRows] = [results[0], rows[0]];
  const baseKeys = new Set([...baseRows.values()].flat().map(pairKey));
  const names = [...new Set(results.flatMap((r) => r.models.map((m) => m.name)))];
  const against = results.slice(1).map((r, j) => {
    const i = j + 1;
    const warnings: string[] = [];
    const sameClasses = r.data.classes.join() === base.data.classes.join();
    if (!sameClasses)
      warnings.push(`class sets differ: ${base.data.classes.join(', ')} against ${r.data.classes.join(', ')}; per-class deltas cover the shared classes only`);
    const keys = new Set([...rows[i].values()].flat().map(pairKey));
    const shared = [...keys].filter((k) => baseKeys.has(k)).length;
    if (shared === 0)
      warnings.push(
        'no test clip is shared (different data, protocol or seeds): differences are between independent samples, and each figure keeps its own interval',
      );
    else if (shared < Math.max(keys.size, baseKeys.size))
      warnings.push(`only ${shared} of ${Math.max(keys.size, baseKeys.size)} test predictions are shared: paired differences use those`);
    const paired = sameClasses && shared > 0;
    const models = names.map((model) => modelAgainst(model, base, r, baseRows, rows[i], paired, suites[0]));
    return { run: summary(r, runs[i]), paired, warnings, differences: suiteDifferences(suites[0], suites[i]), models };
  });
  return { results, suites, base, baseSummary: summary(base, runs[0]), metric: metric(suites[0].evaluation.rank_by).label, against };
}

/** The lowest accuracy of any group of at least min_slice clips, over every slice (null: no such group). */
export function worstGroup(e: Results['models'][number]['evaluation']): { accuracy: number; group: string; field: string; n: number } | null {
  let worst: { accuracy: number; group: string; field: string; n: number } | null = null;
  for (const s of e.slices)
    for (const g of s.groups) {
      const acc = g.accuracy.estimate;
      if (!g.small && s.comparable >= 2 && (!worst || acc < worst.accuracy)) worst = { accuracy: acc, group: g.group, field: s.field, n: g.n };
    }
  return worst;
}

/** What `serbench site` shows of each run: its results, where its site is, and each model's worst group. */
export interface CollectedRun {
  dir: string;
  results: Results;
  worst: Map<string, ReturnType<typeof worstGroup>>;
}

/** The runs of a collection, read once each, and their comparison with the first (null for one run). */
export function collectRuns(runs: string[]): { runs: CollectedRun[]; comparison: RunComparison | null } {
  const collected = runs.map((dir) => {
    const reader = readRun(dir);
    const results = reader.results();
    if (!reader.has('site', 'index.html')) throw new Error(`${dir}: no site/ (run \`serbench report ${dir}\` first)`);
    return { dir: reader.dir, results, worst: new Map(results.models.map((m) => [m.name, worstGroup(m.evaluation)])) };
  });
  return { runs: collected, comparison: runs.length > 1 ? compareRuns(runs) : null };
}
