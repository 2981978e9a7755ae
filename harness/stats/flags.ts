/**
 * Flags: what a reader must notice before trusting a number, each with its evidence. A model
 * that collapsed onto few classes, temperature scaling that hurts, a slice confounded with
 * another, a fold missing classes in training, the same audio in train and test.
 */
import type { ModelEvaluation } from './evaluate.ts';
import type { ValidationCalibration } from './temperature.ts';
import type { LeakageAudit } from './leakage.ts';
import type { SliceField } from './slices.ts';

export type FlagKind =
  | 'collapsed'
  | 'never-predicted'
  | 'temperature-hurts'
  | 'temperature-off-domain'
  | 'confounded'
  | 'missing-train-classes'
  | 'duplicate-content'
  | 'test-speaker-statistics';

export interface CrossTable {
  rows: string[];
  cols: string[];
  counts: number[][];
}

export interface Flag {
  kind: FlagKind;
  /** The model concerned; absent for flags about the data or the split. */
  model?: string;
  /** One sentence: what to notice. */
  title: string;
  /** The figures behind it. */
  evidence: string[];
  table?: CrossTable;
}

/** Raw against temperature-scaled probabilities, on validation (pooled over jobs) and on test. */
export interface TemperatureSummary {
  validation: ValidationCalibration | null;
  /** Which has the lower ECE on validation (the temperature itself minimises validation NLL). */
  preferred_on_validation: 'raw' | 'scaled' | null;
  test: { ece_raw: number; ece_scaled: number; nll_raw: number; nll_scaled: number };
  /** Scaling raised test ECE by more than HURT_MARGIN. */
  hurts_on_test: boolean;
}

/** An ECE rise smaller than this is within what re-binning alone moves. */
export const HURT_MARGIN = 0.01;

export function temperatureSummary(jobs: { validation: ValidationCalibration | null }[], e: ModelEvaluation): TemperatureSummary {
  const withVal = jobs.map((j) => j.validation).filter((v): v is ValidationCalibration => v !== null && v !== undefined);
  const n = withVal.reduce((a, v) => a + v.n, 0);
  const pooled = (key: keyof ValidationCalibration) => withVal.reduce((a, v) => a + v[key] * v.n, 0) / n;
  const validation =
    n > 0 ? { n, nll_raw: pooled('nll_raw'), nll_scaled: pooled('nll_scaled'), ece_raw: pooled('ece_raw'), ece_scaled: pooled('ece_scaled') } : null;
  const test = {
    ece_raw: e.calibration.ece,
    ece_scaled: e.calibrated.calibration.ece,
    nll_raw: e.probabilistic.log_loss,
    nll_scaled: e.calibrated.probabilistic.log_loss,
  };
  return {
    validation,
    preferred_on_validation: validation ? (validation.ece_scaled < validation.ece_raw ? 'scaled' : 'raw') : null,
    test,
    hurts_on_test: validation !== null && test.ece_scaled > test.ece_raw + HURT_MARGIN,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/**
 * Collapsed: the most predicted class takes at least half of all predictions and at least twice
 * its true share, or the model predicts at most half of the classes present.
 */
export function modelFlags(model: string, e: ModelEvaluation, t: TemperatureSummary): Flag[] {
  const flags: Flag[] = [];
  const mix = e.prediction_mix;
  const collapsed = e.n > 0 && ((mix.top_share >= 0.5 && mix.top_share >= 2 * mix.top_true_share) || mix.predicted_classes <= mix.present_classes / 2);
  const evidence = [
    `predicts ${mix.top_class} for ${pct(mix.top_share)} of ${e.n} test predictions (its true share: ${pct(mix.top_true_share)})`,
    `predicts ${mix.predicted_classes} of the ${mix.present_classes} classes present`,
    ...(mix.never_predicted.length ? [`never predicts: ${mix.never_predicted.join(', ')}`] : []),
  ];
  if (collapsed)
    flags.push({ kind: 'collapsed', model, title: `${model} has collapsed onto few classes: its UAR and accuracy describe a near-constant model`, evidence });
  else if (mix.never_predicted.length)
    flags.push({ kind: 'never-predicted', model, title: `${model} never predicts ${mix.never_predicted.join(', ')}`, evidence });
  if (t.hurts_on_test) {
    flags.push({
      kind: 'temperature-hurts',
      model,
      title: `temperature scaling makes ${model} worse calibrated on test`,
      evidence: [
        `test ECE ${t.test.ece_raw.toFixed(3)} raw, ${t.test.ece_scaled.toFixed(3)} scaled`,
        t.validation
          ? `validation (${t.validation.n} clips): ECE ${t.validation.ece_raw.toFixed(3)} raw, ${t.validation.ece_scaled.toFixed(3)} scaled; NLL ${t.validation.nll_raw.toFixed(3)} → ${t.validation.nll_scaled.toFixed(3)}`
          : 'no validation record',
        'the report shows both; use the raw probabilities for this model',
      ],
    });
  }
  return flags;
}

/** Cramér's V of two categorical columns (0: independent, 1: one determines the other). */
export function cramersV(a: string[], b: string[]): { v: number; table: CrossTable } {
  const rows = [...new Set(a)].sort(),
    cols = [...new Set(b)].sort();
  const counts = rows.map(() => cols.map(() => 0));
  a.forEach((x, i) => counts[rows.indexOf(x)][cols.indexOf(b[i])]++);
  const n = a.length;
  const rowSum = counts.map((r) => r.reduce((s, v) => s + v, 0));
  const colSum = cols.map((_, j) => counts.reduce((s, r) => s + r[j], 0));
  let chi2 = 0;
  for (let i = 0; i < rows.length; i++)
    for (let j = 0; j < cols.length; j++) {
      const expected = (rowSum[i] * colSum[j]) / n;
      chi2 += (counts[i][j] - expected) ** 2 / expected;
    }
  const m = Math.min(rows.length, cols.length) - 1;
  return { v: n > 0 && m > 0 ? Math.sqrt(chi2 / (n * m)) : 0, table: { rows, cols, counts } };
}

/** Cramér's V from which two slices are called confounded. */
export const CONFOUNDED_V = 0.9;

/**
 * Pairs of slice attributes where one (nearly) determines the other over the run's clips
 * (clips with either value unknown left out). Speaker is left out: every attribute of a speaker
 * is fixed by the speaker by design. A gap in one of the pair cannot be told from a gap in the other.
 */
export function confoundedSlices(values: (field: SliceField) => string[], fields: SliceField[]): Flag[] {
  const usable = fields.filter((f) => f !== 'speaker' && f !== 'emotion');
  const flags: Flag[] = [];
  for (let x = 0; x < usable.length; x++)
    for (let y = x + 1; y < usable.length; y++) {
      const [a, b] = [values(usable[x]), values(usable[y])];
      const keep = a.map((_, i) => i).filter((i) => a[i] !== 'unknown' && b[i] !== 'unknown');
      const ka = keep.map((i) => a[i]),
        kb = keep.map((i) => b[i]);
      if (new Set(ka).size < 2 || new Set(kb).size < 2) continue;
      const { v, table } = cramersV(ka, kb);
      if (v < CONFOUNDED_V) continue;
      flags.push({
        kind: 'confounded',
        title: `${usable[x]} and ${usable[y]} are confounded (Cramér's V ${v.toFixed(2)}): a gap across one cannot be told from a gap across the other`,
        evidence: [`over ${keep.length} clips with both known`],
        table,
      });
    }
  return flags;
}

/** Folds whose training data lacks a class the test data has. */
export function missingTrainClasses(
  classes: string[],
  folds: { seed: number; fold: string; trainClassCounts: number[] | undefined; testClasses: Set<number> }[],
): Flag[] {
  const evidence = folds.flatMap((f) => {
    if (!f.trainClassCounts) return [];
    const missing = classes.filter((_, c) => f.trainClassCounts![c] === 0 && f.testClasses.has(c));
    return missing.length ? [`seed ${f.seed}, fold ${f.fold}: no training clip of ${missing.join(', ')}, which the test clips have`] : [];
  });
  return evidence.length ? [{ kind: 'missing-train-classes', title: 'some folds train without classes that they test on', evidence }] : [];
}

export function duplicateContent(leakage: (LeakageAudit & { seed: number })[]): Flag[] {
  const evidence = leakage.flatMap((l) =>
    (l.sharedContent ?? []).map((d) => `seed ${l.seed}, fold ${l.fold}: test ${d.test} has the same audio as training ${d.train}`),
  );
  return evidence.length
    ? [{ kind: 'duplicate-content', title: `${evidence.length} test clip(s) have byte-identical audio in training under another name`, evidence }]
    : [];
}

export function temperatureOffDomain(protocol: string): Flag[] {
  return protocol === 'leave-one-corpus-out'
    ? [
        {
          kind: 'temperature-off-domain',
          title: 'temperatures were fitted on validation clips of the training corpora, not of the held-out corpus',
          evidence: ['leave-one-corpus-out: the held-out corpus is unseen until test, so its calibration after scaling is an out-of-domain figure'],
        },
      ]
    : [];
}

/** Models whose features were z-scored per speaker read the test speakers' unlabeled audio: said, not hidden. */
export function testSpeakerStatistics(models: { name: string; normalize?: string }[]): Flag[] {
  const names = models.filter((m) => m.normalize === 'per_speaker').map((m) => m.name);
  return names.length
    ? [
        {
          kind: 'test-speaker-statistics',
          title: `${names.join(', ')} normalize${names.length === 1 ? 's' : ''} features per speaker, with statistics of each test speaker's own (unlabeled) clips`,
          evidence: [
            "the standard step of speaker-independent SER: the test audio is read, its labels are not; a deployed model must see some of a new speaker's speech before it can do the same",
          ],
        },
      ]
    : [];
}
