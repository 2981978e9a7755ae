/**
 * Classification metrics with scikit-learn's definitions (labels 0..k−1, zero_division = 0).
 * Inputs: y (true class indices) and probabilities as n×k row-major. ŷ = argmax, first wins ties.
 */

export interface Predictions {
  k: number;
  y: ArrayLike<number>;
  /** n × k row-major. */
  probs: ArrayLike<number>;
}

export function argmaxRows(probs: ArrayLike<number>, k: number): Int32Array {
  const n = probs.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}

export function confusionMatrix(y: ArrayLike<number>, yHat: ArrayLike<number>, k: number): number[][] {
  const c = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < y.length; i++) c[y[i]][yHat[i]]++;
  return c;
}

export interface Classification {
  accuracy: number;
  balanced_accuracy: number;
  recall_macro_all_labels: number;
  precision_macro: number;
  f1_macro: number;
  f1_macro_present_labels: number;
  f1_weighted: number;
  f1_micro: number;
  precision_per_class: number[];
  recall_per_class: number[];
  f1_per_class: number[];
  support_per_class: number[];
  predicted_count_per_class: number[];
  confusion_matrix: number[][];
  cohen_kappa: number | null;
}

const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : 0);

export function classification(y: ArrayLike<number>, yHat: ArrayLike<number>, k: number): Classification {
  const n = y.length;
  const C = confusionMatrix(y, yHat, k);
  const support = C.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = C[0].map((_, q) => C.reduce((a, row) => a + row[q], 0));
  const tp = C.map((row, c) => row[c]);
  const precision = tp.map((t, c) => (predicted[c] ? t / predicted[c] : 0));
  const recall = tp.map((t, c) => (support[c] ? t / support[c] : 0));
  const f1 = precision.map((p, c) => (p + recall[c] > 0 ? (2 * p * recall[c]) / (p + recall[c]) : 0));
  const correct = tp.reduce((a, b) => a + b, 0);
  const present = f1.map((_, c) => c).filter((c) => support[c] > 0 || predicted[c] > 0);
  // Cohen's kappa: 1 − Σ_{t≠q} C / Σ_{t≠q} E, with E = support_t · predicted_q / n.
  let obs = 0,
    exp = 0;
  for (let t = 0; t < k; t++)
    for (let q = 0; q < k; q++)
      if (t !== q) {
        obs += C[t][q];
        exp += (support[t] * predicted[q]) / n;
      }
  return {
    accuracy: n ? correct / n : 0,
    balanced_accuracy: mean(recall.filter((_, c) => support[c] > 0)),
    recall_macro_all_labels: mean(recall),
    precision_macro: mean(precision),
    f1_macro: mean(f1),
    f1_macro_present_labels: mean(present.map((c) => f1[c])),
    f1_weighted: n ? f1.reduce((a, v, c) => a + support[c] * v, 0) / n : 0,
    f1_micro: n ? correct / n : 0,
    precision_per_class: precision,
    recall_per_class: recall,
    f1_per_class: f1,
    support_per_class: support,
    predicted_count_per_class: predicted,
    confusion_matrix: C,
    cohen_kappa: exp > 0 ? 1 - obs / exp : null,
  };
}

export interface Probabilistic {
  brier_multiclass: number;
  log_loss: number;
}

/** Multiclass Brier (sum over classes, 0..2) and scikit-learn's log loss (clip to 2^-52, renormalize). */
export function probabilistic(y: ArrayLike<number>, probs: ArrayLike<number>, k: number): Probabilistic {
  const n = y.length;
  const eps = 2 ** -52;
  let brier = 0,
    ll = 0;
  for (let i = 0; i < n; i++) {
    let rowSum = 0;
    for (let j = 0; j < k; j++) {
      const p = probs[i * k + j];
      brier += (p - (y[i] === j ? 1 : 0)) ** 2;
      rowSum += Math.min(Math.max(p, eps), 1 - eps);
    }
    ll -= Math.log(Math.min(Math.max(probs[i * k + y[i]], eps), 1 - eps) / rowSum);
  }
  return { brier_multiclass: n ? brier / n : 0, log_loss: n ? ll / n : 0 };
}
