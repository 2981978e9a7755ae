/**
 * From per-clip predictions to everything the report shows about one model: the metric table's
 * headline with intervals, per-job figures, calibration before and after temperature scaling,
 * overconfidence, fairness slices with disparities; and paired comparisons of two models.
 * Pure functions of the predictions.
 */
import { classification, probabilistic, type Classification, type Probabilistic } from './metrics.ts';
import { calibration, type Calibration } from './calibration.ts';
import { groupIndices } from './fairness.ts';
import { mcnemar, meanSd, type Interval, type McNemar } from './significance.ts';
import { proportionInterval, type ProportionMethod } from './intervals.ts';
import { allRows, clipProportion, clusterBootstrap, flatten, type Flat, type PredictionRow } from './predictions.ts';
import { metric, metrics, type MetricEntry, type RankMetric } from './metric-table.ts';
import { sliceValue, type SliceField } from './slices.ts';
import { sliceReport, type SliceOptions, type SliceReport } from './slice-report.ts';
export type { PredictionRow } from './predictions.ts';
export type { SliceGroup, Gap, RateGap, EqualizedOddsGap, SliceReport } from './slice-report.ts';

/** The suite's `evaluation` block. */
export interface EvaluationSettings {
  bootstrap: number;
  confidence: number;
  ece_bins: number;
  slices: SliceField[];
  intersections: SliceField[][];
  min_slice: number;
  temperature_scaling: boolean;
  rank_by: RankMetric;
  proportion_interval: ProportionMethod;
}

export interface EvalOptions extends SliceOptions {
  slices: SliceField[];
  intersections: SliceField[][];
  rankBy: RankMetric;
}

export const evalOptions = (e: EvaluationSettings, classes: string[]): EvalOptions => ({
  classes,
  bootstrap: e.bootstrap,
  confidence: e.confidence,
  eceBins: e.ece_bins,
  slices: e.slices,
  intersections: e.intersections,
  minSlice: e.min_slice,
  rankBy: e.rank_by,
  proportionInterval: e.proportion_interval,
});

export interface ConfidentError {
  clip: string;
  corpus: string;
  speaker: string;
  truth: string;
  predicted: string;
  confidence: number;
}

export interface PerClass {
  class: string;
  /** Test clips of this class. */
  support: number;
  /** Rows predicted as this class. */
  predicted: number;
  precision: number;
  /** Over the class's clips (Wilson or Clopper–Pearson). */
  recall: Interval;
  f1: number;
}

/** One job's own figures: its split seed, model seed and fold, and each per-job metric of the table. */
export interface JobFigures {
  seed: number;
  modelSeed: number;
  fold: string;
  n: number;
  accuracy: number;
  uar: number;
  macro_f1: number;
  /** And every other per-job metric of the table (registerMetric). */
  [metric: string]: unknown;
}

export interface Overconfidence {
  mean_confidence_correct: number | null;
  mean_confidence_incorrect: number | null;
  confident_errors: ConfidentError[];
  confusions: { truth: string; predicted: string; count: number; mean_confidence: number }[];
  confidence_histogram: { lo: number; hi: number; correct: number; wrong: number }[];
}

/** Share of predictions going to each class, and which present classes are never predicted. */
export interface PredictionMix {
  top_class: string;
  top_share: number;
  top_true_share: number;
  predicted_classes: number;
  present_classes: number;
  never_predicted: string[];
}

export interface ModelEvaluation {
  n: number;
  /** Distinct test clips. */
  clips: number;
  jobs: number;
  rank_metric: RankMetric;
  /** Every metric of the table with its interval over clips. */
  headline: Record<string, Interval>;
  /** Mean ± sd over jobs of each per-job metric; with one job there is no spread (n = 1). */
  over_jobs: Record<string, ReturnType<typeof meanSd>>;
  /**
   * The spread of UAR kept apart by its source: over model seeds within a split (pooled sd of the
   * jobs of each split seed and fold around their own mean), and over splits (sd, over split seeds
   * and folds, of the mean over model seeds). null where there is only one of a kind.
   */
  uar_spread: { model_seeds: number; over_model_seeds: number | null; splits: number; over_splits: number | null };
  /** Each job's own figures (split seed, model seed, fold): the per-fold table. */
  per_job: JobFigures[];
  per_class: PerClass[];
  classification: Classification;
  probabilistic: Probabilistic;
  calibration: Calibration;
  calibrated: { calibration: Calibration; probabilistic: Probabilistic };
  overconfidence: Overconfidence;
  prediction_mix: PredictionMix;
  slices: SliceReport[];
  warnings: string[];
}

/** A metric's interval over all rows: a proportion of clips, or a clip bootstrap. */
function headlineInterval(f: Flat, m: MetricEntry, o: EvalOptions, seed: string): Interval {
  const all = allRows(f);
  if (m.interval.kind === 'proportion') {
    const hit = m.interval.hit;
    const p = clipProportion(f, all, (i) => hit(f, i));
    return proportionInterval(p.k, p.n, o.confidence, o.proportionInterval);
  }
  return clusterBootstrap(f, all, (ii) => m.value(f, ii, o), o, `${seed}:${m.interval.tag}`, m.interval.reflected);
}

function perJobFigures(rows: PredictionRow[], f: Flat, o: EvalOptions): JobFigures[] {
  const perJob = metrics().filter((m) => m.perJob);
  return [...groupIndices(rows.map((r) => `${r.seed}/${r.modelSeed}/${r.fold}`)).values()].map((ii) => {
    const idx = Int32Array.from(ii);
    const r0 = rows[ii[0]];
    return {
      seed: r0.seed,
      modelSeed: r0.modelSeed,
      fold: r0.fold,
      n: ii.length,
      ...Object.fromEntries(perJob.map((m) => [m.key, m.value(f, idx, o)])),
    } as JobFigures;
  });
}

function uarSpread(rows: PredictionRow[], perJob: JobFigures[]): ModelEvaluation['uar_spread'] {
  const bySplit = new Map<string, number[]>();
  for (const j of perJob) bySplit.set(`${j.seed}/${j.fold}`, [...(bySplit.get(`${j.seed}/${j.fold}`) ?? []), j.uar]);
  let within = 0,
    dof = 0;
  for (const us of bySplit.values()) {
    const m = meanSd(us);
    within += m.sd ** 2 * (us.length - 1);
    dof += us.length - 1;
  }
  return {
    model_seeds: new Set(rows.map((r) => r.modelSeed)).size,
    over_model_seeds: dof > 0 ? Math.sqrt(within / dof) : null,
    splits: bySplit.size,
    over_splits: bySplit.size > 1 ? meanSd([...bySplit.values()].map((us) => meanSd(us).mean)).sd : null,
  };
}

function overconfidence(rows: PredictionRow[], f: Flat, cal: Calibration, classes: string[]): Overconfidence {
  const errors = rows.map((r, i) => ({ r, i })).filter(({ i }) => f.yHat[i] !== f.y[i]);
  const confident_errors = errors
    .sort((a, b) => f.conf[b.i] - f.conf[a.i])
    .slice(0, 15)
    .map(({ r, i }) => ({
      clip: r.clip.id,
      corpus: r.clip.corpus,
      speaker: r.clip.speaker,
      truth: classes[f.y[i]],
      predicted: classes[f.yHat[i]],
      confidence: f.conf[i],
    }));
  const pairs = new Map<string, { truth: string; predicted: string; count: number; sum: number }>();
  for (const { i } of errors) {
    const key = `${f.y[i]}>${f.yHat[i]}`;
    const p = pairs.get(key) ?? { truth: classes[f.y[i]], predicted: classes[f.yHat[i]], count: 0, sum: 0 };
    p.count++;
    p.sum += f.conf[i];
    pairs.set(key, p);
  }
  const histogram = Array.from({ length: 10 }, (_, b) => ({ lo: b / 10, hi: (b + 1) / 10, correct: 0, wrong: 0 }));
  f.conf.forEach((c, i) => {
    const b = Math.min(9, Math.max(0, Math.ceil(c * 10) - 1));
    if (f.yHat[i] === f.y[i]) histogram[b].correct++;
    else histogram[b].wrong++;
  });
  return {
    mean_confidence_correct: cal.mean_confidence_correct,
    mean_confidence_incorrect: cal.mean_confidence_incorrect,
    confident_errors,
    confusions: [...pairs.values()]
      .map((p) => ({ truth: p.truth, predicted: p.predicted, count: p.count, mean_confidence: p.sum / p.count }))
      .sort((a, b) => b.count * b.mean_confidence - a.count * a.mean_confidence)
      .slice(0, 10),
    confidence_histogram: histogram,
  };
}

function perClass(f: Flat, cls: Classification, o: EvalOptions): PerClass[] {
  return o.classes.map((name, c) => {
    const ofClass = Array.from({ length: f.n }, (_, i) => i).filter((i) => f.y[i] === c);
    const r = clipProportion(f, ofClass, (i) => f.yHat[i] === c);
    return {
      class: name,
      support: r.n,
      predicted: cls.predicted_count_per_class[c],
      precision: cls.precision_per_class[c],
      recall: proportionInterval(r.k, r.n, o.confidence, o.proportionInterval),
      f1: cls.f1_per_class[c],
    };
  });
}

function predictionMix(n: number, cls: Classification, present: Set<number>, never: string[], classes: string[]): PredictionMix {
  const top = cls.predicted_count_per_class.reduce((b, v, c) => (v > cls.predicted_count_per_class[b] ? c : b), 0);
  return {
    top_class: classes[top] ?? '',
    top_share: n ? cls.predicted_count_per_class[top] / n : 0,
    top_true_share: n ? cls.support_per_class[top] / n : 0,
    predicted_classes: cls.predicted_count_per_class.filter((v) => v > 0).length,
    present_classes: present.size,
    never_predicted: never,
  };
}

function sliceReports(rows: PredictionRow[], f: Flat, o: EvalOptions, seed: string): SliceReport[] {
  if (!rows.length) return [];
  const fields: { name: string; values: string[] }[] = [
    ...o.slices.map((s) => ({ name: s, values: rows.map((r) => sliceValue(r.clip, s)) })),
    ...o.intersections.map((fs) => ({ name: fs.join('|'), values: rows.map((r) => fs.map((s) => sliceValue(r.clip, s)).join('|')) })),
  ];
  return fields.map(({ name, values }) => sliceReport(f, name, values, o, seed));
}

export function evaluateModel(rows: PredictionRow[], o: EvalOptions, seed = 'eval'): ModelEvaluation {
  const k = o.classes.length;
  const f = flatten(rows, k);
  const fc = flatten(rows, k, true);
  const present = new Set(rows.map((r) => r.y));
  const never = o.classes.filter((_, c) => present.has(c) && !f.yHat.includes(c));
  const neverAtAll = o.classes.filter((_, c) => !f.yHat.includes(c));
  const warnings = [
    ...(rows.length === 0 ? ['no test predictions'] : []),
    ...(present.size < k
      ? [`classes absent from the test data: ${o.classes.filter((_, c) => !present.has(c)).join(', ')} (UAR averages over the ${present.size} present)`]
      : []),
    ...(neverAtAll.length ? [`never predicted: ${neverAtAll.join(', ')}`] : []),
  ];
  const cls = classification(f.y, f.yHat, k);
  const cal = calibration(f.y, f.probs, k, o.eceBins);
  const perJob = perJobFigures(rows, f, o);
  const slices = sliceReports(rows, f, o, seed);
  return {
    n: rows.length,
    clips: clipProportion(f, allRows(f), () => true).n,
    jobs: perJob.length,
    rank_metric: o.rankBy,
    headline: Object.fromEntries(metrics().map((m) => [m.key, headlineInterval(f, m, o, seed)])),
    over_jobs: Object.fromEntries(
      metrics()
        .filter((m) => m.perJob)
        .map((m) => [m.key, meanSd(perJob.map((j) => j[m.key] as number))]),
    ),
    per_job: perJob,
    uar_spread: uarSpread(rows, perJob),
    per_class: perClass(f, cls, o),
    classification: cls,
    probabilistic: probabilistic(f.y, f.probs, k),
    calibration: cal,
    calibrated: { calibration: calibration(fc.y, fc.probs, k, o.eceBins), probabilistic: probabilistic(fc.y, fc.probs, k) },
    overconfidence: overconfidence(rows, f, cal, o.classes),
    prediction_mix: predictionMix(rows.length, cls, present, never, o.classes),
    slices,
    warnings: [...warnings, ...slices.flatMap((s) => s.warnings)],
  };
}

export interface Comparison {
  a: string;
  b: string;
  paired: number;
  /** The metric models are ranked by; its paired difference decides "≈ best". */
  metric: RankMetric;
  /** a − b on `metric`, paired bootstrap over clips. */
  difference: Interval;
  accuracy_difference: Interval;
  /** McNemar's exact test: a test of accuracy, not of `metric`. */
  mcnemar: McNemar;
  /** The paired interval of `metric` excludes 0. */
  significant: boolean;
}

/** Compare two models on the clips both predicted in the same split seed, model seed and fold. */
export function compareModels(a: string, rowsA: PredictionRow[], b: string, rowsB: PredictionRow[], o: EvalOptions): Comparison {
  const key = (r: PredictionRow) => `${r.seed}/${r.modelSeed}/${r.fold}/${r.clip.id}`;
  const k = o.classes.length;
  const mapB = new Map(rowsB.map((r) => [key(r), r]));
  const pairs = rowsA.filter((r) => mapB.has(key(r))).map((r) => [r, mapB.get(key(r))!] as const);
  const fa = flatten(
    pairs.map((p) => p[0]),
    k,
  );
  const fb = flatten(
    pairs.map((p) => p[1]),
    k,
  );
  const ca = Array.from(fa.yHat, (c, i) => c === fa.y[i]);
  const cb = Array.from(fb.yHat, (c, i) => c === fb.y[i]);
  const all = allRows(fa);
  const paired = (m: MetricEntry, seed: string) => clusterBootstrap(fa, all, (ii) => m.value(fa, ii, o) - m.value(fb, ii, o), o, seed);
  const difference = paired(metric(o.rankBy), `cmp:${a}:${b}:${o.rankBy}`);
  const accuracyDifference = o.rankBy === 'accuracy' ? difference : paired(metric('accuracy'), `cmp:${a}:${b}`);
  return {
    a,
    b,
    paired: pairs.length,
    metric: o.rankBy,
    difference,
    accuracy_difference: accuracyDifference,
    mcnemar: mcnemar(ca, cb),
    significant: (difference.resamples ?? 0) > 0 && (difference.lo > 0 || difference.hi < 0),
  };
}
