/**
 * From per-clip predictions to everything the report shows: headline metrics with bootstrap
 * intervals, calibration before and after temperature scaling, overconfidence, fairness slices
 * with disparities, and pairwise model comparisons. Pure functions of the predictions.
 */
import type { Clip } from '../datasets/types.ts';
import { argmaxRows, classification, probabilistic, type Classification, type Probabilistic } from './metrics.ts';
import { calibration, equalWidthError, type Calibration } from './calibration.ts';
import { metricFrame, oneVsRestParity, groupIndices, type MetricFrame } from './fairness.ts';
import { bootstrap, mcnemar, meanSd, type Interval, type McNemar } from './stats.ts';
import type { Suite, SliceField } from './suite.ts';

/** One test clip's prediction by one model in one job (seed × fold). */
export interface PredictionRow {
  clip: Clip;
  seed: number;
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
}

export const evalOptions = (suite: Suite, classes: string[]): EvalOptions => ({
  classes,
  bootstrap: suite.evaluation.bootstrap,
  confidence: suite.evaluation.confidence,
  eceBins: suite.evaluation.ece_bins,
  slices: suite.evaluation.slices,
  intersections: suite.evaluation.intersections,
  minSlice: suite.evaluation.min_slice,
});

export function sliceValue(clip: Clip, field: SliceField): string {
  switch (field) {
    case 'age_band':
      return clip.age === undefined ? 'unknown' : `${Math.floor(clip.age / 10) * 10}–${Math.floor(clip.age / 10) * 10 + 9}`;
    default: {
      const v = clip[field as keyof Clip];
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
}

function flatten(rows: PredictionRow[], k: number, calibrated = false): Flat {
  const n = rows.length;
  const probs = new Float64Array(n * k);
  rows.forEach((r, i) => probs.set(calibrated ? r.calibrated : r.probs, i * k));
  const yHat = argmaxRows(probs, k);
  return { n, k, y: Int32Array.from(rows, (r) => r.y), probs, yHat, conf: Float64Array.from(yHat, (c, i) => probs[i * k + c]) };
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

/**
 * Bootstrap that resamples clips, not rows: with several seeds a clip is predicted several
 * times, and resampling rows would treat those as independent evidence.
 */
function clusterBootstrap(rows: PredictionRow[], stat: (idx: Int32Array) => number, o: EvalOptions, seed: string): Interval {
  const byClip = [...groupIndices(rows.map((r) => r.clip.id)).values()];
  const expand = (clusterIdx: Int32Array) => {
    const out: number[] = [];
    for (const c of clusterIdx) out.push(...byClip[c]);
    return Int32Array.from(out);
  };
  return bootstrap(byClip.length, (ci) => stat(expand(ci)), o.bootstrap, o.confidence, seed);
}

export interface SliceGroup {
  group: string;
  n: number;
  accuracy: Interval;
  uar: Interval;
  macro_f1: number;
  ece: number;
  mean_confidence: number;
  small: boolean;
}

export interface SliceReport {
  field: string;
  groups: SliceGroup[];
  frame: MetricFrame;
  /** Worst per-class equalized-odds gap (TPR/FPR differences between groups, one class vs rest). */
  equalized_odds: { class: string; difference: number; tpr_difference: number; fpr_difference: number }[];
  worst_group: string;
  accuracy_gap: number;
  accuracy_ratio: number | null;
  /** Spread (sd) of group accuracies: the speaker-level spread when field = speaker. */
  accuracy_sd: number;
  /** Is the best–worst gap larger than the intervals allow (non-overlapping 95% CIs)? */
  gap_beyond_noise: boolean;
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

export interface ModelEvaluation {
  n: number;
  jobs: number;
  headline: { accuracy: Interval; uar: Interval; macro_f1: Interval; ece: Interval };
  over_jobs: { accuracy: ReturnType<typeof meanSd>; uar: ReturnType<typeof meanSd>; macro_f1: ReturnType<typeof meanSd> };
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
  slices: SliceReport[];
  warnings: string[];
}

function sliceReport(rows: PredictionRow[], f: Flat, field: string, values: string[], o: EvalOptions, seed: string): SliceReport {
  const idx = groupIndices(values);
  const warnings: string[] = [];
  const groups: SliceGroup[] = [...idx.entries()].map(([group, members]) => {
    const sub = rows.filter((_, i) => values[i] === group);
    const mi = Int32Array.from(members);
    const local = (stat: (g: Flat, ii: Int32Array) => number) => (ii: Int32Array) =>
      stat(
        f,
        Int32Array.from(ii, (j) => mi[j]),
      );
    const small = members.length < o.minSlice;
    if (small) warnings.push(`${field}=${group}: ${members.length} clips (< ${o.minSlice}); its figures are too uncertain to compare`);
    let conf = 0;
    for (const i of members) conf += f.conf[i];
    return {
      group,
      n: members.length,
      accuracy: clusterBootstrap(sub, local(accuracyOf), o, `${seed}:${field}:${group}:acc`),
      uar: clusterBootstrap(sub, local(uarOf), o, `${seed}:${field}:${group}:uar`),
      macro_f1: macroF1Of(f, mi),
      ece: eceOf(f, mi, o.eceBins),
      mean_confidence: conf / members.length,
      small,
    };
  });
  const frame = metricFrame(f.y, f.yHat, f.k, values);
  const eo = o.classes.map((name, c) => {
    const p = oneVsRestParity(f.y, f.yHat, c, values);
    return {
      class: name,
      difference: p.equalized_odds_difference,
      tpr_difference: p.true_positive_rate_difference,
      fpr_difference: p.false_positive_rate_difference,
    };
  });
  const accs = groups.map((g) => g.accuracy.estimate);
  const worst = groups.reduce((w, g) => (g.accuracy.estimate < w.accuracy.estimate ? g : w), groups[0]);
  const best = groups.reduce((b, g) => (g.accuracy.estimate > b.accuracy.estimate ? g : b), groups[0]);
  return {
    field,
    groups,
    frame,
    equalized_odds: eo.sort((a, b) => b.difference - a.difference),
    worst_group: worst.group,
    accuracy_gap: frame.difference_between_groups.accuracy,
    accuracy_ratio: frame.ratio_between_groups.accuracy,
    accuracy_sd: meanSd(accs).sd,
    gap_beyond_noise: groups.length > 1 && worst.accuracy.hi < best.accuracy.lo,
    warnings,
  };
}

export function evaluateModel(rows: PredictionRow[], o: EvalOptions, seed = 'eval'): ModelEvaluation {
  const k = o.classes.length;
  const warnings: string[] = [];
  const f = flatten(rows, k);
  const fc = flatten(rows, k, true);
  const present = new Set(rows.map((r) => r.y));
  if (rows.length === 0) warnings.push('no test predictions');
  if (present.size < k)
    warnings.push(
      `classes absent from the test data: ${o.classes.filter((_, c) => !present.has(c)).join(', ')} (UAR averages over the ${present.size} present)`,
    );
  const never = o.classes.filter((_, c) => !f.yHat.includes(c));
  if (never.length) warnings.push(`never predicted: ${never.join(', ')}`);
  const cls = classification(f.y, f.yHat, k);
  const cal = calibration(f.y, f.probs, k, o.eceBins);

  const perJob = [...groupIndices(rows.map((r) => `${r.seed}/${r.fold}`)).values()].map((ii) => {
    const idx = Int32Array.from(ii);
    return { acc: accuracyOf(f, idx), uar: uarOf(f, idx), f1: macroF1Of(f, idx) };
  });

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

  const fields: { name: string; values: string[] }[] = [
    ...o.slices.map((s) => ({ name: s, values: rows.map((r) => sliceValue(r.clip, s)) })),
    ...o.intersections.map((fs) => ({ name: fs.join('|'), values: rows.map((r) => fs.map((s) => sliceValue(r.clip, s)).join('|')) })),
  ];
  const slices = rows.length ? fields.map(({ name, values }) => sliceReport(rows, f, name, values, o, seed)) : [];
  return {
    n: rows.length,
    jobs: perJob.length,
    headline: {
      accuracy: clusterBootstrap(rows, (ii) => accuracyOf(f, ii), o, `${seed}:acc`),
      uar: clusterBootstrap(rows, (ii) => uarOf(f, ii), o, `${seed}:uar`),
      macro_f1: clusterBootstrap(rows, (ii) => macroF1Of(f, ii), o, `${seed}:f1`),
      ece: clusterBootstrap(rows, (ii) => eceOf(f, ii, o.eceBins), o, `${seed}:ece`),
    },
    over_jobs: { accuracy: meanSd(perJob.map((j) => j.acc)), uar: meanSd(perJob.map((j) => j.uar)), macro_f1: meanSd(perJob.map((j) => j.f1)) },
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
    slices,
    warnings: [...warnings, ...slices.flatMap((s) => s.warnings)],
  };
}

export interface Comparison {
  a: string;
  b: string;
  paired: number;
  accuracy_difference: Interval;
  mcnemar: McNemar;
  significant: boolean;
}

/** Compare two models on the clips both predicted in the same seed and fold. */
export function compareModels(a: string, rowsA: PredictionRow[], b: string, rowsB: PredictionRow[], o: EvalOptions): Comparison {
  const key = (r: PredictionRow) => `${r.seed}/${r.fold}/${r.clip.id}`;
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
  const diff = clusterBootstrap(
    pairs.map((p) => p[0]),
    (ii) => accuracyOf(fa, ii) - accuracyOf(fb, ii),
    o,
    `cmp:${a}:${b}`,
  );
  const m = mcnemar(ca, cb);
  const alpha = 1 - o.confidence;
  return { a, b, paired: pairs.length, accuracy_difference: diff, mcnemar: m, significant: m.exact_pvalue < alpha && (diff.lo > 0 || diff.hi < 0) };
}
