/**
 * What the report says in words is decided here, from the results: whether a model is over- or
 * underconfident, which fairness gap leads, whether the split was speaker-dependent, which
 * networks stopped early. reports/ turns these into sentences and never decides them itself.
 */
import type { Results } from './evaluate-run.ts';
import type { Gap } from './slice-report.ts';
import { metricInfos, type MetricInfo } from './metric-table.ts';

/** Mean confidence more than this above (or below) accuracy is over- (or under-) confidence. */
export const CONFIDENCE_MARGIN = 0.02;
/** An ECE under this, with confidence and accuracy agreeing on average, is well calibrated per bin too. */
export const CALIBRATED_ECE = 0.05;

export type CalibrationVerdict = 'overconfident' | 'underconfident' | 'calibrated' | 'off-within-bins';

export interface ModelVerdicts {
  model: string;
  calibration: CalibrationVerdict;
  /** Mean confidence − accuracy on the test predictions. */
  confidence_minus_accuracy: number;
  /** Per job: whether early stopping ended its fit (networks). */
  stopped_early: Record<string, boolean>;
  collapsed: boolean;
}

export interface FairnessHeadline {
  model: string;
  field: string;
  gap: Gap;
  /** Some gap of the run is beyond noise (then this is the largest of those), or none is (then the largest of all). */
  any_beyond_noise: boolean;
}

export interface Verdicts {
  models: ModelVerdicts[];
  /** null: no slice has two groups of at least min_slice clips. */
  fairness: FairnessHeadline | null;
  /** Some fold's test speakers were also heard in training. */
  speaker_dependent: boolean;
  /** What every page of the site says at its top (a model that read the test speakers' audio). */
  notice: string | null;
}

/** What the presentation layer is handed: the results, the metric table's columns, and the verdicts. */
export interface ReportView {
  results: Results;
  metrics: MetricInfo[];
  verdicts: Verdicts;
}

function calibrationVerdict(over: number, ece: number): CalibrationVerdict {
  // The sign of confidence − accuracy says over or under; ECE says how far off the bins are,
  // which can be large even when the averages agree (too sure in some bins, too unsure in others).
  if (over > CONFIDENCE_MARGIN) return 'overconfident';
  if (over < -CONFIDENCE_MARGIN) return 'underconfident';
  return ece < CALIBRATED_ECE ? 'calibrated' : 'off-within-bins';
}

/**
 * The gap a reviewer should read first. Only groups of at least min_slice clips take part; a gap
 * is beyond noise when its own interval (Newcombe, Bonferroni-adjusted for the group pairs it
 * was picked from) excludes 0.
 */
function fairnessHeadline(r: Results): FairnessHeadline | null {
  const gaps = r.models.flatMap((m) => m.evaluation.slices.filter((s) => s.accuracy_gap).map((s) => ({ model: m.name, field: s.field, gap: s.accuracy_gap! })));
  if (gaps.length === 0) return null;
  const largest = (xs: typeof gaps) => xs.reduce((a, b) => (b.gap.difference.estimate > a.gap.difference.estimate ? b : a), xs[0]);
  const beyond = gaps.filter((g) => g.gap.beyond_noise);
  return { ...(beyond.length ? largest(beyond) : largest(gaps)), any_beyond_noise: beyond.length > 0 };
}

export function verdicts(r: Results): Verdicts {
  return {
    models: r.models.map((m) => {
      const c = m.evaluation.calibration;
      const over = c.mean_confidence - m.evaluation.classification.accuracy;
      return {
        model: m.name,
        calibration: calibrationVerdict(over, c.ece),
        confidence_minus_accuracy: over,
        stopped_early: Object.fromEntries(m.jobs.map((j) => [j.id, (j.fit.notes ?? []).some((n) => n.startsWith('early stop'))])),
        collapsed: m.flags.some((f) => f.kind === 'collapsed'),
      };
    }),
    fairness: fairnessHeadline(r),
    speaker_dependent: r.data.leakage.some((l) => !l.speakerIndependent),
    notice: r.flags.find((f) => f.kind === 'test-speaker-statistics')?.title ?? null,
  };
}

export const reportView = (results: Results): ReportView => ({ results, metrics: metricInfos(), verdicts: verdicts(results) });
