/**
 * What a model that brings its own outputs (imported predictions, a pretrained ONNX classifier)
 * shares: its columns mapped to the suite's classes, logits softmaxed, rows held to being
 * probabilities or refused, naming where each came from.
 */

/** How the model's own labels become the suite's classes, and what was done to fit them (said on the model's page). */
export interface ClassMapping {
  /** For each suite class, the index of the model's column, or -1 (probability 0). */
  columns: number[];
  notes: string[];
}

/**
 * Map a model's labels onto the suite's classes. A label the suite lacks is refused unless
 * dropLabels (its mass then leaves the row, which is renormalized); a suite class the model lacks
 * is refused unless absentAsZero (its probability is then 0).
 */
export function mapClasses(labels: string[], classes: string[], o: { dropLabels: boolean; absentAsZero: boolean; where: string; what: string }): ClassMapping {
  const notes: string[] = [];
  const extra = labels.filter((l) => !classes.includes(l));
  if (extra.length && !o.dropLabels)
    throw new Error(
      `${o.where}: ${o.what} ${extra.join(', ')}, which the suite has no class for (its classes: ${classes.join(', ')}); map them with labels.map, or leave them out with drop_${o.what === 'columns for' ? 'columns' : 'labels'}: true`,
    );
  if (extra.length) notes.push(`left out ${o.what} ${extra.join(', ')} (no such class in the suite); every row renormalized over the rest`);
  const absent = classes.filter((c) => !labels.includes(c));
  if (absent.length && !o.absentAsZero)
    throw new Error(
      `${o.where}: no ${o.what.replace(/ for$/, '')} for the suite's class(es) ${absent.join(', ')}${o.what === 'columns for' ? ' (p_<class> or logit_<class>)' : '; absent_classes: zero gives them probability 0'}`,
    );
  if (absent.length) notes.push(`classes ${absent.join(', ')} have no output: probability 0`);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup) throw new Error(`${o.where}: ${o.what} ${dup} twice`);
  return { columns: classes.map((c) => labels.indexOf(c)), notes };
}

/** Softmax of one row of logits, in float64. */
export function softmax(z: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) max = Math.max(max, z[i]);
  const e = Array.from(z, (v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Rows may differ from 1 by this much. */
export const SUM_TOLERANCE = 1e-4;

/**
 * One row of outputs as the suite's probabilities: logits softmaxed; probabilities checked
 * (finite, non-negative, summing to 1 ± 1e-4, or renormalized when told), then mapped to the
 * suite's classes. Throws naming `where`; returns whether the row was renormalized.
 */
export function rowProbabilities(
  values: number[],
  kind: 'logits' | 'probabilities',
  map: ClassMapping,
  o: { renormalize: boolean; where: string },
): { probs: number[]; renormalized: boolean } {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`${o.where}: value ${values[bad]} in column ${bad + 1} of the outputs: every output must be a finite number`);
  let p = kind === 'logits' ? softmax(values) : values;
  if (kind === 'probabilities') {
    const neg = p.findIndex((v) => v < 0);
    if (neg >= 0) throw new Error(`${o.where}: a negative probability (${p[neg]})`);
  }
  let out = map.columns.map((c) => (c < 0 ? 0 : p[c]));
  const sum = out.reduce((a, b) => a + b, 0);
  const dropped = map.columns.filter((c) => c >= 0).length < p.length;
  let renormalized = false;
  if (Math.abs(sum - 1) > SUM_TOLERANCE) {
    if (!(o.renormalize || dropped) || !(sum > 0))
      throw new Error(
        `${o.where}: the probabilities sum to ${+sum.toFixed(6)}, not 1 ± ${SUM_TOLERANCE}${sum > 0 ? ' (renormalize: true divides each row by its sum)' : ''}`,
      );
    out = out.map((v) => v / sum);
    renormalized = true;
  }
  p = out;
  return { probs: p, renormalized };
}
