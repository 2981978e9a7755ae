/**
 * Fairness slices with fairlearn 0.9's definitions: per-group metrics (MetricFrame), their
 * min / max / difference / ratio, and one-vs-rest parity (selection rate, TPR, FPR gaps).
 */
import { classification } from './metrics.ts';

export const FRAME_METRICS = ['accuracy', 'balanced_accuracy', 'recall_macro_all_labels', 'f1_macro_all_labels', 'f1_macro_present_labels'] as const;
export type FrameMetric = (typeof FRAME_METRICS)[number];
type PerMetric<T> = Record<FrameMetric, T>;

export interface MetricFrame {
  groups: string[];
  count_by_group: Record<string, number>;
  overall: PerMetric<number>;
  by_group: PerMetric<Record<string, number>>;
  group_min: PerMetric<number>;
  group_max: PerMetric<number>;
  difference_between_groups: PerMetric<number>;
  difference_to_overall: PerMetric<number>;
  ratio_between_groups: PerMetric<number | null>;
  ratio_to_overall: PerMetric<number | null>;
}

function frameMetrics(y: number[], yHat: number[], k: number): PerMetric<number> {
  const c = classification(y, yHat, k);
  return {
    accuracy: c.accuracy,
    balanced_accuracy: c.balanced_accuracy,
    recall_macro_all_labels: c.recall_macro_all_labels,
    f1_macro_all_labels: c.f1_macro,
    f1_macro_present_labels: c.f1_macro_present_labels,
  };
}

/** Indices per group value, groups sorted as pandas groupby sorts them. */
export function groupIndices(groups: string[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  groups.forEach((g, i) => {
    if (!m.has(g)) m.set(g, []);
    m.get(g)!.push(i);
  });
  return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function metricFrame(y: ArrayLike<number>, yHat: ArrayLike<number>, k: number, groups: string[]): MetricFrame {
  const idx = groupIndices(groups);
  const overall = frameMetrics(Array.from(y), Array.from(yHat), k);
  const per = new Map(
    [...idx.entries()].map(([g, ii]) => [
      g,
      frameMetrics(
        ii.map((i) => y[i]),
        ii.map((i) => yHat[i]),
        k,
      ),
    ]),
  );
  const names = [...idx.keys()];
  const pick = <T>(f: (m: FrameMetric) => T) => Object.fromEntries(FRAME_METRICS.map((m) => [m, f(m)])) as PerMetric<T>;
  const values = (m: FrameMetric) => names.map((g) => per.get(g)![m]);
  return {
    groups: names,
    count_by_group: Object.fromEntries(names.map((g) => [g, idx.get(g)!.length])),
    overall,
    by_group: pick((m) => Object.fromEntries(names.map((g) => [g, per.get(g)![m]]))),
    group_min: pick((m) => Math.min(...values(m))),
    group_max: pick((m) => Math.max(...values(m))),
    difference_between_groups: pick((m) => Math.max(...values(m)) - Math.min(...values(m))),
    difference_to_overall: pick((m) => Math.max(...values(m).map((v) => Math.abs(v - overall[m])))),
    ratio_between_groups: pick((m) => (Math.max(...values(m)) === 0 ? null : Math.min(...values(m)) / Math.max(...values(m)))),
    ratio_to_overall: pick((m) =>
      overall[m] === 0
        ? null
        : Math.min(
            ...values(m).map((v) => {
              const r = v / overall[m];
              return r <= 1 ? r : 1 / r;
            }),
          ),
    ),
  };
}

export interface Parity {
  demographic_parity_difference: number;
  demographic_parity_ratio: number | null;
  equalized_odds_difference: number;
  equalized_odds_ratio: number | null;
  true_positive_rate_difference: number;
  false_positive_rate_difference: number;
  count_by_group: Record<string, number>;
  by_group: { selection_rate: Record<string, number>; true_positive_rate: Record<string, number>; false_positive_rate: Record<string, number> };
}

/** Binary parity of class c against the rest (positive = c) across groups. */
export function oneVsRestParity(y: ArrayLike<number>, yHat: ArrayLike<number>, c: number, groups: string[]): Parity {
  const idx = groupIndices(groups);
  const sel: Record<string, number> = {},
    tpr: Record<string, number> = {},
    fpr: Record<string, number> = {},
    count: Record<string, number> = {};
  for (const [g, ii] of idx) {
    let pos = 0,
      neg = 0,
      tp = 0,
      fp = 0,
      s = 0;
    for (const i of ii) {
      const p = yHat[i] === c,
        t = y[i] === c;
      if (p) s++;
      if (t) (pos++, p && tp++);
      else (neg++, p && fp++);
    }
    count[g] = ii.length;
    sel[g] = s / ii.length;
    tpr[g] = pos ? tp / pos : 0;
    fpr[g] = neg ? fp / neg : 0;
  }
  const span = (r: Record<string, number>) => {
    const v = Object.values(r);
    return { min: Math.min(...v), max: Math.max(...v) };
  };
  const S = span(sel),
    T = span(tpr),
    F = span(fpr);
  return {
    demographic_parity_difference: S.max - S.min,
    demographic_parity_ratio: S.max === 0 ? null : S.min / S.max,
    equalized_odds_difference: Math.max(T.max - T.min, F.max - F.min),
    equalized_odds_ratio: T.max === 0 || F.max === 0 ? null : Math.min(T.min / T.max, F.min / F.max),
    true_positive_rate_difference: T.max - T.min,
    false_positive_rate_difference: F.max - F.min,
    count_by_group: count,
    by_group: { selection_rate: sel, true_positive_rate: tpr, false_positive_rate: fpr },
  };
}
