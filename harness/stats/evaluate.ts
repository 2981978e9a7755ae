/**
 * From per-clip predictions to everything the report shows: headline metrics with bootstrap
 * intervals, calibration before and after temperature scaling, overconfidence, fairness slices
 * with disparities, and pairwise model comparisons. Pure functions of the predictions.
 */
import type { Clip } from '../../datasets/types.ts';
import { argmaxRows, classification, probabilistic, type Classification, type Probabilistic } from './metrics.ts';
import { calibration, equalWidthError, type Calibration } from './calibration.ts';
import { metricFrame, groupIndices, type MetricFrame } from './fairness.ts';
import { bootstrap, twoSampleBootstrap, mcnemar, meanSd, type Interval, type McNemar } from './significance.ts';
import { proportionInterval, differenceInterval, type ProportionMethod } from './intervals.ts';
import { SLICE_FIELDS, type Suite, type SliceField, type RankMetric } from '../suite.ts';

/** One test clip's prediction by one model in one job (seed × fold). */
export interface PredictionRow {
  clip: Clip;
  /** Split seed. */
  seed: number;
  /** Model seed (initialisation and batch order); the split seed unless the suite sets model_seeds. */
  modelSeed: number;
  fold: string;
  y: number;
  probs: number[];
  /** After the job's temperature (fitted on its validation split). */
  calibrated: number[];
}

export interface EvalOptions {
  classes: string[];
  bootstrap: number;
  confidence: number;
  eceBins: number;
  slices: SliceField[];
  intersections: SliceField[][];
  minSlice: number;
  rankBy: RankMetric;
  proportionInterval: ProportionMethod;
}

export const evalOptions = (suite: Suite, classes: string[]): EvalOptions => ({
  classes,
  bootstrap: suite.evaluation.bootstrap,
  confidence: suite.evaluation.confidence,
  eceBins: suite.evaluation.ece_bins,
  slices: suite.evaluation.slices,
  intersections: suite.evaluation.intersections,
  minSlice: suite.evaluation.min_slice,
  rankBy: suite.evaluation.rank_by,
  proportionInterval: suite.evaluation.proportion_interval,
});

export function sliceValue(clip: Clip, field: SliceField): string {
  switch (field) {
    case 'age_band':
      return clip.age === undefined ? 'unknown' : `${Math.floor(clip.age / 10) * 10}–${Math.floor(clip.age / 10) * 10 + 9}`;
    default: {
      // A clip field, else an attribute of a manifest corpus.
      const v = (SLICE_FIELDS as readonly string[]).includes(field) ? clip[field as keyof Clip] : clip.attributes?.[field];
      return v === undefined || v === '' ? 'unknown' : String(v);
    }
  }
}

interface Flat {
  n: number;
  k: number;
  y: Int32Array;
  probs: Float64Array;
  yHat: Int32Array;
  conf: Float64Array;
  /** Each row's clip as a number (rows of one clip in several jobs share it). */
  clip: Int32Array;
}

function flatten(rows: PredictionRow[], k: number, calibrated = false): Flat {
  const n = rows.length;
  const probs = new Float64Array(n * k);
  rows.forEach((r, i) => probs.set(calibrated ? r.calibrated : r.probs, i * k));
  const yHat = argmaxRows(probs, k);
  const ids = new Map<string, number>();
  const clip = Int32Array.from(rows, (r) => ids.get(r.clip.id) ?? (ids.set(r.clip.id, ids.size), ids.size - 1));
  return { n, k, y: Int32Array.from(rows, (r) => r.y), probs, yHat, conf: Float64Array.from(yHat, (c, i) => probs[i * k + c]), clip };
}

// Statistics over a resampled index set (bootstrap).
function accuracyOf(f: Flat, idx: Int32Array): number {
  let c = 0;
  for (const i of idx) if (f.yHat[i] === f.y[i]) c++;
  return idx.length ? c / idx.length : 0;
}
function uarOf(f: Flat, idx: Int32Array): number {
  const tp = new Float64Array(f.k),
    sup = new Float64Array(f.k);
  for (const i of idx) {
    sup[f.y[i]]++;
    if (f.yHat[i] === f.y[i]) tp[f.y[i]]++;
  }
  let s = 0,
    m = 0;
  for (let c = 0; c < f.k; c++) if (sup[c] > 0) ((s += tp[c] / sup[c]), m++);
  return m ? s / m : 0;
}
function macroF1Of(f: Flat, idx: Int32Array): number {
  return classification(
    Array.from(idx, (i) => f.y[i]),
    Array.from(idx, (i) => f.yHat[i]),
    f.k,
  ).f1_macro;
}
function eceOf(f: Flat, idx: Int32Array, bins: number): number {
  return equalWidthError(
    Array.from(idx, (i) => f.conf[i]),
    Array.from(idx, (i) => (f.yHat[i] === f.y[i] ? 1 : 0)),
    bins,
  ).ece;
}
const RANKED: Record<RankMetric, (f: Flat, idx: Int32Array) => number> = { uar: uarOf, accuracy: accuracyOf, macro_f1: macroF1Of };
export const RANK_METRIC_NAMES: Record<RankMetric, string> = { uar: 'UAR', accuracy: 'accuracy', macro_f1: 'macro F1' };

/** The rows of each clip among `members` (one entry per clip; several rows when several jobs predicted it). */
function clusters(f: Flat, members: ArrayLike<number>): number[][] {
  const m = new Map<number, number[]>();
  for (let j = 0; j < members.length; j++) {
    const i = members[j];
    const list = m.get(f.clip[i]);
    if (list) list.push(i);
    else m.set(f.clip[i], [i]);
  }
  return [...m.values()];
}
const expand = (cl: number[][], picked: Int32Array): Int32Array => {
  const out: number[] = [];
  for (const c of picked) for (const i of cl[c]) out.push(i);
  return Int32Array.from(out);
};

/**
 * A proportion over clips: each clip counts once, with the share of its rows that hit (a clip
 * predicted by several jobs is one piece of evidence, not several). k may be fractional.
 */
function clipProportion(f: Flat, members: ArrayLike<number>, hit: (i: number) => boolean): { k: number; n: number } {
  let k = 0;
  const cl = clusters(f, members);
  for (const rows of cl) k += rows.filter(hit).length / rows.length;
  return { k, n: cl.length };
}

/**
 * Bootstrap that resamples clips, not rows: with several seeds a clip is predicted several
 * times, and resampling rows would treat those as independent evidence.
 */
function clusterBootstrap(f: Flat, members: ArrayLike<number>, stat: (idx: Int32Array) => number, o: EvalOptions, seed: string): Interval {
  const cl = clusters(f, members);
  return bootstrap(cl.length, (ci) => stat(expand(cl, ci)), o.bootstrap, o.confidence, seed);
}

export interface SliceGroup {
  group: string;
  /** Prediction rows (clips × jobs). */
  rows: number;
  /** Distinct clips: what the interval and the min_slice rule count. */
  n: number;
  /** Wilson (or Clopper–Pearson) interval over the group's clips. */
  accuracy: Interval;
  /** Clip-level bootstrap. */
  uar: Interval;
  macro_f1: number;
  ece: number;
  mean_confidence: number;
  /** Fewer than min_slice clips: shown, never in a worst group, a gap or a headline. */
  small: boolean;
  /** True class mix of the group's rows, in class order. */
  class_counts: number[];
}

/** The gap between the best and the worst group of a slice, with its own interval. */
export interface Gap {
  metric: 'accuracy' | 'uar';
  best: string;
  worst: string;
  n_best: number;
  n_worst: number;
  /** best − worst: Newcombe for accuracy, two-sample clip bootstrap for UAR. */
  difference: Interval;
  /** Group pairs the largest gap was picked from; the interval's level is Bonferroni-adjusted for them. */
  pairs: number;
  level: number;
  /** The interval excludes 0. */
  beyond_noise: boolean;
}

/** One rate (TPR or FPR of one class against the rest) between the groups where it is highest and lowest. */
export interface RateGap {
  high: string;
  low: string;
  n_high: number;
  n_low: number;
  difference: Interval;
  level: number;
}

export interface EqualizedOddsGap {
  class: string;
  /** max(TPR gap, FPR gap) between groups of at least min_slice clips, as fairlearn defines it. */
  difference: number;
  tpr: RateGap | null;
  fpr: RateGap | null;
  beyond_noise: boolean;
}

export interface SliceReport {
  field: string;
  groups: SliceGroup[];
  /** fairlearn's MetricFrame over every group (small ones too), for reference and the CSV. */
  frame: MetricFrame;
  /** Groups with at least min_slice clips: only these enter worst group, gaps and headlines. */
  comparable: number;
  worst_group: string | null;
  accuracy_gap: Gap | null;
  uar_gap: Gap | null;
  accuracy_ratio: number | null;
  /** Spread (sd) of comparable groups' accuracies: the speaker-level spread when field = speaker. */
  accuracy_sd: number | null;
  gap_beyond_noise: boolean;
  /** Per class, between comparable groups, largest first. */
  equalized_odds: EqualizedOddsGap[];
  warnings: string[];
}

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

export interface ModelEvaluation {
  n: number;
  /** Distinct test clips. */
  clips: number;
  jobs: number;
  rank_metric: RankMetric;
  headline: { accuracy: Interval; uar: Interval; macro_f1: Interval; ece: Interval };
  /** Mean ± sd over jobs; with one job there is no spread (n = 1). */
  over_jobs: { accuracy: ReturnType<typeof meanSd>; uar: ReturnType<typeof meanSd>; macro_f1: ReturnType<typeof meanSd> };
  /**
   * The spread of UAR kept apart by its source: over model seeds within a split (pooled sd of the
   * jobs of each split seed and fold around their own mean), and over splits (sd, over split seeds
   * and folds, of the mean over model seeds). null where there is only one of a kind.
   */
  uar_spread: { model_seeds: number; over_model_seeds: number | null; splits: number; over_splits: number | null };
  /** Each job's own figures (split seed, model seed, fold): the per-fold table. */
  per_job: { seed: number; modelSeed: number; fold: string; n: number; accuracy: number; uar: number; macro_f1: number }[];
  per_class: PerClass[];
  classification: Classification;
  probabilistic: Probabilistic;
  calibration: Calibration;
  calibrated: { calibration: Calibration; probabilistic: Probabilistic };
  overconfidence: {
    mean_confidence_correct: number | null;
    mean_confidence_incorrect: number | null;
    confident_errors: ConfidentError[];
    confusions: { truth: string; predicted: string; count: number; mean_confidence: number }[];
    confidence_histogram: { lo: number; hi: number; correct: number; wrong: number }[];
  };
  /** Share of predictions going to each class, and which present classes are never predicted. */
  prediction_mix: {
    top_class: string;
    top_share: number;
    top_true_share: number;
    predicted_classes: number;
    present_classes: number;
    never_predicted: string[];
  };
  slices: SliceReport[];
  warnings: string[];
}

const bonferroni = (confidence: number, tests: number) => 1 - (1 - confidence) / Math.max(1, tests);

function sliceReport(f: Flat, field: string, values: string[], o: EvalOptions, seed: string): SliceReport {
  const idx = groupIndices(values);
  const warnings: string[] = [];
  const members = new Map<string, number[]>();
  const groups: SliceGroup[] = [...idx.entries()].map(([group, rows]) => {
    members.set(group, rows);
    const acc = clipProportion(f, rows, (i) => f.yHat[i] === f.y[i]);
    const small = acc.n < o.minSlice;
    if (small) warnings.push(`${field}=${group}: ${acc.n} clips (< ${o.minSlice}); shown, but left out of worst group and gaps`);
    let conf = 0;
    const classCounts = new Array<number>(f.k).fill(0);
    for (const i of rows) ((conf += f.conf[i]), classCounts[f.y[i]]++);
    const mi = Int32Array.from(rows);
    return {
      group,
      rows: rows.length,
      n: acc.n,
      accuracy: proportionInterval(acc.k, acc.n, o.confidence, o.proportionInterval),
      uar: clusterBootstrap(f, rows, (ii) => uarOf(f, ii), o, `${seed}:${field}:${group}:uar`),
      macro_f1: macroF1Of(f, mi),
      ece: eceOf(f, mi, o.eceBins),
      mean_confidence: conf / rows.length,
      small,
      class_counts: classCounts,
    };
  });
  const frame = metricFrame(f.y, f.yHat, f.k, values);
  const comparable = groups.filter((g) => !g.small);
  const pairs = (comparable.length * (comparable.length - 1)) / 2;
  const extremes = (metric: (g: SliceGroup) => number) => ({
    best: comparable.reduce((b, g) => (metric(g) > metric(b) ? g : b), comparable[0]),
    worst: comparable.reduce((w, g) => (metric(g) < metric(w) ? g : w), comparable[0]),
  });
  let accuracyGap: Gap | null = null,
    uarGap: Gap | null = null;
  if (comparable.length >= 2) {
    const level = bonferroni(o.confidence, pairs);
    const a = extremes((g) => g.accuracy.estimate);
    const kOf = (g: SliceGroup) => g.accuracy.estimate * g.n;
    const accDiff = differenceInterval(kOf(a.best), a.best.n, kOf(a.worst), a.worst.n, level);
    accuracyGap = gapOf('accuracy', a.best, a.worst, accDiff, pairs, level);
    const u = extremes((g) => g.uar.estimate);
    const cb = clusters(f, members.get(u.best.group)!),
      cw = clusters(f, members.get(u.worst.group)!);
    const uarDiff = twoSampleBootstrap(
      cb.length,
      cw.length,
      (ib, iw) => uarOf(f, expand(cb, ib)) - uarOf(f, expand(cw, iw)),
      o.bootstrap,
      level,
      `${seed}:${field}:uar-gap`,
    );
    uarGap = gapOf('uar', u.best, u.worst, uarDiff, pairs, level);
  }
  const eo = o.classes
    .map((name, c) => equalizedOddsGap(f, name, c, comparable, members, o))
    .sort((a, b) => Number(b.beyond_noise) - Number(a.beyond_noise) || b.difference - a.difference);
  const accs = comparable.map((g) => g.accuracy.estimate);
  return {
    field,
    groups,
    frame,
    comparable: comparable.length,
    worst_group: accuracyGap?.worst ?? null,
    accuracy_gap: accuracyGap,
    uar_gap: uarGap,
    accuracy_ratio: accuracyGap && accuracyGap.difference.estimate >= 0 && Math.max(...accs) > 0 ? Math.min(...accs) / Math.max(...accs) : null,
    accuracy_sd: comparable.length >= 2 ? meanSd(accs).sd : null,
    gap_beyond_noise: accuracyGap?.beyond_noise ?? false,
    equalized_odds: eo,
    warnings,
  };
}

function gapOf(metric: Gap['metric'], best: SliceGroup, worst: SliceGroup, difference: Interval, pairs: number, level: number): Gap {
  return { metric, best: best.group, worst: worst.group, n_best: best.n, n_worst: worst.n, difference, pairs, level, beyond_noise: difference.lo > 0 };
}

/**
 * TPR and FPR of class c against the rest in each comparable group, over clips; the gap between
 * the highest and lowest group gets a Newcombe interval, Bonferroni-adjusted over the group
 * pairs and the k classes it was picked from.
 */
function equalizedOddsGap(f: Flat, name: string, c: number, comparable: SliceGroup[], members: Map<string, number[]>, o: EvalOptions): EqualizedOddsGap {
  const rate = (pick: (i: number) => boolean) => {
    const per = comparable
      .map((g) => {
        const rows = members.get(g.group)!.filter(pick);
        const p = clipProportion(f, rows, (i) => f.yHat[i] === c);
        return { group: g.group, ...p };
      })
      .filter((r) => r.n > 0);
    if (per.length < 2) return null;
    const hi = per.reduce((b, r) => (r.k / r.n > b.k / b.n ? r : b), per[0]);
    const lo = per.reduce((w, r) => (r.k / r.n < w.k / w.n ? r : w), per[0]);
    const level = bonferroni(o.confidence, ((per.length * (per.length - 1)) / 2) * o.classes.length);
    return { high: hi.group, low: lo.group, n_high: hi.n, n_low: lo.n, difference: differenceInterval(hi.k, hi.n, lo.k, lo.n, level), level } satisfies RateGap;
  };
  const tpr = rate((i) => f.y[i] === c);
  const fpr = rate((i) => f.y[i] !== c);
  return {
    class: name,
    difference: Math.max(tpr?.difference.estimate ?? 0, fpr?.difference.estimate ?? 0),
    tpr,
    fpr,
    beyond_noise: (tpr?.difference.lo ?? 0) > 0 || (fpr?.difference.lo ?? 0) > 0,
  };
}

export function evaluateModel(rows: PredictionRow[], o: EvalOptions, seed = 'eval'): ModelEvaluation {
  const k = o.classes.length;
  const warnings: string[] = [];
  const f = flatten(rows, k);
  const fc = flatten(rows, k, true);
  const all = Int32Array.from({ length: rows.length }, (_, i) => i);
  const present = new Set(rows.map((r) => r.y));
  if (rows.length === 0) warnings.push('no test predictions');
  if (present.size < k)
    warnings.push(
      `classes absent from the test data: ${o.classes.filter((_, c) => !present.has(c)).join(', ')} (UAR averages over the ${present.size} present)`,
    );
  const neverAtAll = o.classes.filter((_, c) => !f.yHat.includes(c));
  if (neverAtAll.length) warnings.push(`never predicted: ${neverAtAll.join(', ')}`);
  const never = o.classes.filter((_, c) => present.has(c) && !f.yHat.includes(c));
  const cls = classification(f.y, f.yHat, k);
  const cal = calibration(f.y, f.probs, k, o.eceBins);

  const perJob = [...groupIndices(rows.map((r) => `${r.seed}/${r.modelSeed}/${r.fold}`)).values()].map((ii) => {
    const idx = Int32Array.from(ii);
    const r0 = rows[ii[0]];
    return {
      split: `${r0.seed}/${r0.fold}`,
      seed: r0.seed,
      modelSeed: r0.modelSeed,
      fold: r0.fold,
      n: ii.length,
      acc: accuracyOf(f, idx),
      uar: uarOf(f, idx),
      f1: macroF1Of(f, idx),
    };
  });
  const bySplit = new Map<string, number[]>();
  for (const j of perJob) bySplit.set(j.split, [...(bySplit.get(j.split) ?? []), j.uar]);
  const modelSeeds = new Set(rows.map((r) => r.modelSeed)).size;
  let within = 0,
    dof = 0;
  for (const us of bySplit.values()) {
    const m = meanSd(us);
    within += m.sd ** 2 * (us.length - 1);
    dof += us.length - 1;
  }

  const errors = rows.map((r, i) => ({ r, i })).filter(({ i }) => f.yHat[i] !== f.y[i]);
  const confident_errors = errors
    .sort((a, b) => f.conf[b.i] - f.conf[a.i])
    .slice(0, 15)
    .map(({ r, i }) => ({
      clip: r.clip.id,
      corpus: r.clip.corpus,
      speaker: r.clip.speaker,
      truth: o.classes[f.y[i]],
      predicted: o.classes[f.yHat[i]],
      confidence: f.conf[i],
    }));
  const pairs = new Map<string, { truth: string; predicted: string; count: number; sum: number }>();
  for (const { i } of errors) {
    const key = `${f.y[i]}>${f.yHat[i]}`;
    const p = pairs.get(key) ?? { truth: o.classes[f.y[i]], predicted: o.classes[f.yHat[i]], count: 0, sum: 0 };
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

  const perClass: PerClass[] = o.classes.map((name, c) => {
    const ofClass = rows.map((_, i) => i).filter((i) => f.y[i] === c);
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
  const top = cls.predicted_count_per_class.reduce((b, v, c) => (v > cls.predicted_count_per_class[b] ? c : b), 0);

  const fields: { name: string; values: string[] }[] = [
    ...o.slices.map((s) => ({ name: s, values: rows.map((r) => sliceValue(r.clip, s)) })),
    ...o.intersections.map((fs) => ({ name: fs.join('|'), values: rows.map((r) => fs.map((s) => sliceValue(r.clip, s)).join('|')) })),
  ];
  const slices = rows.length ? fields.map(({ name, values }) => sliceReport(f, name, values, o, seed)) : [];
  const correct = clipProportion(f, all, (i) => f.yHat[i] === f.y[i]);
  return {
    n: rows.length,
    clips: correct.n,
    jobs: perJob.length,
    rank_metric: o.rankBy,
    headline: {
      accuracy: proportionInterval(correct.k, correct.n, o.confidence, o.proportionInterval),
      uar: clusterBootstrap(f, all, (ii) => uarOf(f, ii), o, `${seed}:uar`),
      macro_f1: clusterBootstrap(f, all, (ii) => macroF1Of(f, ii), o, `${seed}:f1`),
      ece: clusterBootstrap(f, all, (ii) => eceOf(f, ii, o.eceBins), o, `${seed}:ece`),
    },
    over_jobs: { accuracy: meanSd(perJob.map((j) => j.acc)), uar: meanSd(perJob.map((j) => j.uar)), macro_f1: meanSd(perJob.map((j) => j.f1)) },
    per_job: perJob.map((j) => ({ seed: j.seed, modelSeed: j.modelSeed, fold: j.fold, n: j.n, accuracy: j.acc, uar: j.uar, macro_f1: j.f1 })),
    uar_spread: {
      model_seeds: modelSeeds,
      over_model_seeds: dof > 0 ? Math.sqrt(within / dof) : null,
      splits: bySplit.size,
      over_splits: bySplit.size > 1 ? meanSd([...bySplit.values()].map((us) => meanSd(us).mean)).sd : null,
    },
    per_class: perClass,
    classification: cls,
    probabilistic: probabilistic(f.y, f.probs, k),
    calibration: cal,
    calibrated: { calibration: calibration(fc.y, fc.probs, k, o.eceBins), probabilistic: probabilistic(fc.y, fc.probs, k) },
    overconfidence: {
      mean_confidence_correct: cal.mean_confidence_correct,
      mean_confidence_incorrect: cal.mean_confidence_incorrect,
      confident_errors,
      confusions: [...pairs.values()]
        .map((p) => ({ truth: p.truth, predicted: p.predicted, count: p.count, mean_confidence: p.sum / p.count }))
        .sort((a, b) => b.count * b.mean_confidence - a.count * a.mean_confidence)
        .slice(0, 10),
      confidence_histogram: histogram,
    },
    prediction_mix: {
      top_class: o.classes[top] ?? '',
      top_share: rows.length ? cls.predicted_count_per_class[top] / rows.length : 0,
      top_true_share: rows.length ? cls.support_per_class[top] / rows.length : 0,
      predicted_classes: cls.predicted_count_per_class.filter((v) => v > 0).length,
      present_classes: present.size,
      never_predicted: never,
    },
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
  const all = Int32Array.from({ length: pairs.length }, (_, i) => i);
  const stat = RANKED[o.rankBy];
  const difference = clusterBootstrap(fa, all, (ii) => stat(fa, ii) - stat(fb, ii), o, `cmp:${a}:${b}:${o.rankBy}`);
  const accuracyDifference =
    o.rankBy === 'accuracy' ? difference : clusterBootstrap(fa, all, (ii) => accuracyOf(fa, ii) - accuracyOf(fb, ii), o, `cmp:${a}:${b}`);
  const m = mcnemar(ca, cb);
  return {
    a,
    b,
    paired: pairs.length,
    metric: o.rankBy,
    difference,
    accuracy_difference: accuracyDifference,
    mcnemar: m,
    significant: (difference.resamples ?? 0) > 0 && (difference.lo > 0 || difference.hi < 0),
  };
}

/** A model's headline value of the rank metric. */
export const rankValue = (e: ModelEvaluation, metric: RankMetric): Interval => e.headline[metric];
