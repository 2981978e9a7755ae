/**
 * One fairness slice of one model: every group's metrics (those of the metric table that appear
 * in slices) with intervals over its clips, the best–worst gap of each interval metric with its
 * own interval, Bonferroni-adjusted for the group pairs it was picked from, and the per-class
 * equalized-odds gaps. Groups under min_slice clips are shown but enter no gap.
 */
import { metricFrame, groupIndices, type MetricFrame } from './fairness.ts';
import { twoSampleBootstrap, meanSd, type Interval } from './significance.ts';
import { proportionInterval, differenceInterval, type ProportionMethod } from './intervals.ts';
import { clipProportion, clusterBootstrap, clusters, expand, type Flat, type Resampling } from './predictions.ts';
import { metrics, type MetricContext, type MetricEntry } from './metric-table.ts';

export interface SliceOptions extends Resampling, MetricContext {
  classes: string[];
  minSlice: number;
  proportionInterval: ProportionMethod;
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
  /** And every other slice metric of the table (registerMetric): an interval or a value. */
  [metric: string]: unknown;
  mean_confidence: number;
  /** Fewer than min_slice clips: shown, never in a worst group, a gap or a headline. */
  small: boolean;
  /** True class mix of the group's rows, in class order. */
  class_counts: number[];
}

/** The gap between the best and the worst group of a slice, with its own interval. */
export interface Gap {
  metric: string;
  best: string;
  worst: string;
  n_best: number;
  n_worst: number;
  /** best − worst: Newcombe for a proportion (accuracy), two-sample clip bootstrap otherwise (UAR). */
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
  /** Why there is no gap to test, when there is none (fewer than two comparable groups with clips of the class, or without). */
  not_tested: string | null;
}

export interface SliceReport {
  field: string;
  groups: SliceGroup[];
  /** fairlearn's MetricFrame over every group (small ones too), for reference and the CSV. */
  frame: MetricFrame;
  /** Groups with at least min_slice clips: only these enter worst group, gaps and headlines. */
  comparable: number;
  worst_group: string | null;
  /** `<metric>_gap` for each metric the table shows with an interval in slices (accuracy_gap, uar_gap). */
  [gap: `${string}_gap`]: Gap | null;
  accuracy_ratio: number | null;
  /** Spread (sd) of comparable groups' accuracies: the speaker-level spread when field = speaker. */
  accuracy_sd: number | null;
  gap_beyond_noise: boolean;
  /** Why no gap was tested, when none was: fewer than two groups of at least min_slice clips. */
  not_tested: string | null;
  /** Per class, between comparable groups, largest first. */
  equalized_odds: EqualizedOddsGap[];
  warnings: string[];
}

const bonferroni = (confidence: number, tests: number) => 1 - (1 - confidence) / Math.max(1, tests);

/** A group's interval of a metric: over its clips (a proportion) or a clip bootstrap. */
function groupInterval(f: Flat, rows: number[], m: MetricEntry, o: SliceOptions, seed: string): Interval {
  if (m.interval.kind === 'proportion') {
    const hit = m.interval.hit;
    const p = clipProportion(f, rows, (i) => hit(f, i));
    return proportionInterval(p.k, p.n, o.confidence, o.proportionInterval);
  }
  return clusterBootstrap(f, rows, (ii) => m.value(f, ii, o), o, `${seed}:${m.interval.tag}`, m.interval.reflected);
}

function sliceGroup(f: Flat, group: string, rows: number[], o: SliceOptions, seed: string): SliceGroup {
  const n = clusters(f, rows).length;
  const mi = Int32Array.from(rows);
  const values: Record<string, Interval | number> = {};
  for (const m of metrics())
    if (m.slices === 'interval') values[m.key] = groupInterval(f, rows, m, o, `${seed}:${group}`);
    else if (m.slices === 'value') values[m.key] = m.value(f, mi, o);
  let conf = 0;
  const classCounts = new Array<number>(f.k).fill(0);
  for (const i of rows) ((conf += f.conf[i]), classCounts[f.y[i]]++);
  return { group, rows: rows.length, n, ...values, mean_confidence: conf / rows.length, small: n < o.minSlice, class_counts: classCounts } as SliceGroup;
}

const estimateOf = (g: SliceGroup, key: string) => (g[key] as Interval).estimate;

/** The best and worst comparable groups by a metric, and the gap between them with its interval. */
function gapOf(f: Flat, m: MetricEntry, comparable: SliceGroup[], members: Map<string, number[]>, o: SliceOptions, seed: string): Gap {
  const pairs = (comparable.length * (comparable.length - 1)) / 2;
  const level = bonferroni(o.confidence, pairs);
  const sign = m.direction === 'higher' ? 1 : -1;
  const score = (g: SliceGroup) => sign * estimateOf(g, m.key);
  const best = comparable.reduce((b, g) => (score(g) > score(b) ? g : b), comparable[0]);
  // Another group than the best, even when they tie (then the gap is 0 between two named groups).
  const rest = comparable.filter((g) => g !== best);
  const worst = rest.reduce((w, g) => (score(g) < score(w) ? g : w), rest[0]);
  let difference: Interval;
  if (m.interval.kind === 'proportion') {
    const kOf = (g: SliceGroup) => estimateOf(g, m.key) * g.n;
    const [hi, lo] = sign > 0 ? [best, worst] : [worst, best];
    difference = differenceInterval(kOf(hi), hi.n, kOf(lo), lo.n, level);
  } else {
    const cb = clusters(f, members.get(best.group)!),
      cw = clusters(f, members.get(worst.group)!);
    const stat = (ib: Int32Array, iw: Int32Array) => sign * (m.value(f, expand(cb, ib), o) - m.value(f, expand(cw, iw), o));
    difference = twoSampleBootstrap(cb.length, cw.length, stat, o.bootstrap, level, `${seed}:${m.interval.tag}-gap`);
  }
  return { metric: m.key, best: best.group, worst: worst.group, n_best: best.n, n_worst: worst.n, difference, pairs, level, beyond_noise: difference.lo > 0 };
}

/** Why a slice's groups were not compared: a single group, or fewer than two of at least min_slice clips. */
function notTested(groups: SliceGroup[], comparable: SliceGroup[], minSlice: number): string {
  if (groups.length < 2) return `one group only (${groups[0]?.group ?? 'none'}): nothing to compare`;
  return `${comparable.length ? `only ${comparable[0].group} has` : 'no group has'} at least ${minSlice} clips (min_slice); the ${groups.length - comparable.length} smaller group(s) are shown but not tested`;
}

export function sliceReport(f: Flat, field: string, values: string[], o: SliceOptions, seed: string): SliceReport {
  const idx = groupIndices(values);
  const groups = [...idx.entries()].map(([group, rows]) => sliceGroup(f, group, rows, o, `${seed}:${field}`));
  const warnings = groups.filter((g) => g.small).map((g) => `${field}=${g.group}: ${g.n} clips (< ${o.minSlice}); shown, but left out of worst group and gaps`);
  const comparable = groups.filter((g) => !g.small);
  const gaps: Record<string, Gap | null> = {};
  for (const m of metrics())
    if (m.slices === 'interval') gaps[`${m.key}_gap`] = comparable.length >= 2 ? gapOf(f, m, comparable, idx, o, `${seed}:${field}`) : null;
  const accuracyGap = gaps.accuracy_gap ?? null;
  const eo = o.classes
    .map((name, c) => equalizedOddsGap(f, name, c, comparable, idx, o))
    .sort((a, b) => Number(b.beyond_noise) - Number(a.beyond_noise) || b.difference - a.difference);
  const accs = comparable.map((g) => estimateOf(g, 'accuracy'));
  return {
    field,
    groups,
    frame: metricFrame(f.y, f.yHat, f.k, values),
    comparable: comparable.length,
    worst_group: accuracyGap?.worst ?? null,
    ...gaps,
    accuracy_ratio: accuracyGap && accuracyGap.difference.estimate >= 0 && Math.max(...accs) > 0 ? Math.min(...accs) / Math.max(...accs) : null,
    accuracy_sd: comparable.length >= 2 ? meanSd(accs).sd : null,
    gap_beyond_noise: accuracyGap?.beyond_noise ?? false,
    not_tested: comparable.length >= 2 ? null : notTested(groups, comparable, o.minSlice),
    equalized_odds: eo,
    warnings,
  };
}

/**
 * TPR and FPR of class c against the rest in each comparable group, over clips; the gap between
 * the highest and lowest group gets a Newcombe interval, Bonferroni-adjusted over the group
 * pairs and the k classes it was picked from.
 */
function equalizedOddsGap(f: Flat, name: string, c: number, comparable: SliceGroup[], members: Map<string, number[]>, o: SliceOptions): EqualizedOddsGap {
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
    const others = per.filter((r) => r !== hi);
    const lo = others.reduce((w, r) => (r.k / r.n < w.k / w.n ? r : w), others[0]);
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
    not_tested:
      tpr || fpr
        ? null
        : comparable.length < 2
          ? `fewer than two groups of at least ${o.minSlice} clips`
          : `fewer than two comparable groups hold clips of ${name} and of the other classes`,
  };
}
