/**
 * The metric table: each metric one entry, with its label, direction, its computation on any
 * subset of prediction rows, how its interval is formed and where it appears. The headline, the
 * per-job figures, the slices, the paired comparisons, the tables and the pages loop over it, as
 * lm-evaluation-harness's metric registry and fairlearn's MetricFrame (any dict of metrics) do:
 * a new metric is one entry (registerMetric).
 */
import { classification } from './metrics.ts';
import { equalWidthError } from './calibration.ts';
import type { Flat } from './predictions.ts';

export interface MetricContext {
  eceBins: number;
}

export interface MetricEntry {
  /** Its key in results.json (headline, per_job, slice groups) and in evaluation.rank_by. */
  key: string;
  /** As tables and pages name it. */
  label: string;
  direction: 'higher' | 'lower';
  /** Its value on a subset of prediction rows (a clip resample, a fold, a group). */
  value: (f: Flat, rows: Int32Array, c: MetricContext) => number;
  /**
   * How its interval is formed: a proportion of clips (Wilson or Clopper–Pearson, as the suite
   * says), counting the rows where `hit` holds, or a bootstrap over clips.
   */
  interval:
    | { kind: 'proportion'; hit: (f: Flat, i: number) => boolean }
    /** `reflected`: the basic bootstrap within these bounds, for a metric biased on a finite sample (significance.ts). */
    | { kind: 'bootstrap'; tag: string; reflected?: readonly [number, number] };
  /** It can rank models (evaluation.rank_by), which makes its paired difference the test of "≈ best". */
  ranks: boolean;
  /** Computed per job (the per-fold table, mean ± sd over jobs). */
  perJob: boolean;
  /** In each slice group: with its interval (and then a best–worst gap with its own), as a value, or not at all. */
  slices: 'interval' | 'value' | false;
  /** How tables and pages show it: a percentage, or a number with three decimals (calibration errors). */
  format: 'percent' | 'decimal';
  /** Columns are shown in this order. */
  order: number;
  /** The evaluation also holds its value after temperature scaling (calibrated.calibration[key]), shown beside it. */
  afterScaling?: boolean;
}

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

const macroF1Of = (f: Flat, idx: Int32Array) =>
  classification(
    Array.from(idx, (i) => f.y[i]),
    Array.from(idx, (i) => f.yHat[i]),
    f.k,
  ).f1_macro;

const eceOf = (f: Flat, idx: Int32Array, c: MetricContext) =>
  equalWidthError(
    Array.from(idx, (i) => f.conf[i]),
    Array.from(idx, (i) => (f.yHat[i] === f.y[i] ? 1 : 0)),
    c.eceBins,
  ).ece;

// The bootstrap tags are the seeds' labels of each interval, kept as they were so that intervals stay the same.
const TABLE: MetricEntry[] = [
  {
    key: 'accuracy',
    label: 'accuracy',
    direction: 'higher',
    value: accuracyOf,
    interval: { kind: 'proportion', hit: (f, i) => f.yHat[i] === f.y[i] },
    ranks: true,
    perJob: true,
    slices: 'interval',
    format: 'percent',
    order: 2,
  },
  {
    key: 'uar',
    label: 'UAR',
    direction: 'higher',
    value: uarOf,
    interval: { kind: 'bootstrap', tag: 'uar' },
    ranks: true,
    perJob: true,
    slices: 'interval',
    format: 'percent',
    order: 1,
  },
  {
    key: 'macro_f1',
    label: 'macro F1',
    direction: 'higher',
    value: macroF1Of,
    interval: { kind: 'bootstrap', tag: 'f1' },
    ranks: true,
    perJob: true,
    slices: 'value',
    format: 'percent',
    order: 3,
  },
  {
    key: 'ece',
    label: 'ECE',
    direction: 'lower',
    value: eceOf,
    interval: { kind: 'bootstrap', tag: 'ece', reflected: [0, 1] },
    ranks: false,
    perJob: false,
    slices: 'value',
    format: 'decimal',
    order: 4,
    afterScaling: true,
  },
];

/** Every metric, in the table's order (the order of results.json's keys). */
export const metrics = (): readonly MetricEntry[] => TABLE;

/** Add a metric: one entry, and every figure, table and page that loops over the table has it. */
export function registerMetric(entry: MetricEntry): void {
  if (TABLE.some((m) => m.key === entry.key)) throw new Error(`a metric named ${entry.key} is already registered`);
  TABLE.push(entry);
}

export function metric(key: string): MetricEntry {
  const m = TABLE.find((x) => x.key === key);
  if (!m) throw new Error(`unknown metric "${key}" (one of ${TABLE.map((x) => x.key).join(', ')})`);
  return m;
}

/** The metrics that can rank models (the values evaluation.rank_by takes). */
export const rankMetrics = () =>
  [...TABLE]
    .sort((a, b) => a.order - b.order)
    .filter((m) => m.ranks)
    .map((m) => m.key);
/** A metric key that can rank models (checked against the table when a suite is read). */
export type RankMetric = string;

/** What the presentation layer needs to show a metric (no computation). */
export interface MetricInfo {
  key: string;
  label: string;
  direction: 'higher' | 'lower';
  format: 'percent' | 'decimal';
  ranks: boolean;
  perJob: boolean;
  slices: 'interval' | 'value' | false;
  interval: 'proportion' | 'bootstrap';
  /** Its value after temperature scaling is at calibrated.calibration[key]. */
  after_scaling: boolean;
  order: number;
}

/** The table as the presentation layer reads it, in the table's order (results.json's); `order` gives the columns'. */
export const metricInfos = (): MetricInfo[] =>
  TABLE.map((m) => ({
    key: m.key,
    label: m.label,
    direction: m.direction,
    format: m.format,
    ranks: m.ranks,
    perJob: m.perJob,
    slices: m.slices,
    interval: m.interval.kind,
    after_scaling: m.afterScaling ?? false,
    order: m.order,
  }));
