import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS_REF, haveShared } from './paths.ts';
import { argmaxRows, classification, probabilistic } from '../harness/stats/metrics.ts';
import { calibration, equalMassError, fitTemperature, applyTemperature, temperatureNll } from '../harness/stats/calibration.ts';
import { metricFrame, oneVsRestParity } from '../harness/stats/fairness.ts';
import { mcnemar, erfc } from '../harness/stats/significance.ts';

const ref = haveShared('metrics against scikit-learn, fairlearn and statsmodels', 'reference/metrics')
  ? JSON.parse(readFileSync(join(METRICS_REF, 'cases.json'), 'utf8'))
  : { cases: [] };

/** Deep comparison: numbers to an absolute tolerance, null as null, everything else exactly. */
function near(actual: unknown, expected: unknown, tol: number, path = ''): void {
  if (expected === null) {
    if (actual !== null && !(typeof actual === 'number' && Number.isNaN(actual))) throw new Error(`${path}: expected null, got ${JSON.stringify(actual)}`);
    return;
  }
  if (typeof expected === 'number') {
    if (typeof actual !== 'number' || !(Math.abs(actual - expected) <= tol)) throw new Error(`${path}: ${actual} vs ${expected}`);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((e, i) => near((actual as unknown[])[i], e, tol, `${path}[${i}]`));
    return;
  }
  if (typeof expected === 'object') {
    // `undefined` entries are the reference's notes on why a value is null, not values.
    for (const [k, e] of Object.entries(expected as object)) if (k !== 'undefined') near((actual as any)?.[k], e, tol, `${path}.${k}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

describe.each(ref.cases as any[])('metrics reference $id', (c) => {
  const k: number = c.k;
  const y: number[] = c.inputs.y_true;
  const probs = Float32Array.from(c.inputs.probs.flat() as number[]); // what predictProba returns
  const yHat = argmaxRows(probs, k);
  const E = c.expected;

  it('argmax with first-index ties', () => expect(Array.from(yHat)).toEqual(E.y_pred));

  it('classification', () => {
    const { cohen_kappa, ...rest } = classification(y, yHat, k);
    const { cohen_kappa: refKappa, ...refRest } = E.classification;
    near(rest, refRest, 1e-12, 'classification');
    near(cohen_kappa, refKappa, 1e-12, 'kappa');
  });

  it('Brier and log loss', () => {
    const p = probabilistic(y, probs, k);
    near(p.brier_multiclass, E.probabilistic.brier_multiclass, 1e-12, 'brier');
    near(p.log_loss, E.probabilistic.log_loss, 1e-12, 'log_loss');
  });

  it('calibration: ECE, MCE, equal-mass, class-wise, confidences', () => {
    const cal = calibration(y, probs, k, 15);
    const R = E.calibration;
    near(cal.ece, R.ece_15, 1e-12, 'ece');
    near(cal.mce, R.mce_15, 1e-12, 'mce');
    near(
      cal.bins.map(({ count, accuracy, confidence, gap }) => ({ count, accuracy, confidence, gap })),
      R.ece_15_bins.map(({ count, accuracy, confidence, gap }: any) => ({ count, accuracy, confidence, gap })),
      1e-12,
      'bins',
    );
    near(cal.ece_equal_mass, R.ece_equal_mass_15, 1e-12, 'ece_equal_mass');
    near(cal.mce_equal_mass, R.mce_equal_mass_15, 1e-12, 'mce_equal_mass');
    const conf = Array.from(yHat, (j, i) => probs[i * k + j]);
    const mass = equalMassError(
      conf,
      Array.from(yHat, (j, i) => (j === y[i] ? 1 : 0)),
      15,
    );
    expect(mass.ranges).toEqual(R.ece_equal_mass_15_bins.map((b: any) => b.sorted_index_range ?? null).map((r: any, i: number) => r ?? mass.ranges[i]));
    near(cal.classwise_ece, R.classwise_ece_15, 1e-12, 'classwise');
    near(cal.classwise_ece_per_class, R.classwise_ece_15_per_class, 1e-12, 'classwise per class');
    near(cal.mean_confidence, R.mean_confidence, 1e-12, 'mean conf');
    near(cal.mean_confidence_correct, R.mean_confidence_correct, 1e-12, 'conf correct');
    near(cal.mean_confidence_incorrect, R.mean_confidence_incorrect, 1e-12, 'conf incorrect');
    expect([cal.n_correct, cal.n_incorrect]).toEqual([R.n_correct, R.n_incorrect]);
  });

  it('temperature scaling', () => {
    const R = E.temperature_scaling;
    const { temperature } = fitTemperature(y, probs, k);
    expect(Math.abs(temperature - R.temperature) / R.temperature).toBeLessThan(1e-9);
    near(temperatureNll(y, probs, k, 1), R.nll_at_T1, 1e-12, 'nll T=1');
    near(temperatureNll(y, probs, k, temperature), R.nll_after, 1e-10, 'nll after');
    const q = applyTemperature(probs, k, R.temperature);
    const after = calibration(y, q, k, 15);
    near(after.ece, R.ece_15_after, 1e-12, 'ece after');
    near(after.mce, R.mce_15_after, 1e-12, 'mce after');
    near(probabilistic(y, q, k).brier_multiclass, R.brier_after, 1e-12, 'brier after');
    near(after.mean_confidence, R.mean_confidence_after, 1e-12, 'conf after');
  });

  it('fairness metric frames (fairlearn MetricFrame)', () => {
    for (const [feature, R] of Object.entries(E.fairness.metric_frames as Record<string, any>)) {
      const groups = feature.includes('|')
        ? y.map((_, i) =>
            feature
              .split('|')
              .map((f) => c.inputs.groups[f][i])
              .join('|'),
          )
        : c.inputs.groups[feature];
      near(metricFrame(y, yHat, k, groups), R, 1e-12, feature);
    }
  });

  it('one-vs-rest parity (demographic parity, equalized odds)', () => {
    E.fairness.parity.one_vs_rest.forEach((R: any) => {
      for (const feature of ['corpus', 'speaker', 'gender']) {
        if (!R[feature]) continue;
        near(oneVsRestParity(y, yHat, R.cls, c.inputs.groups[feature]), R[feature], 1e-12, `class ${R.cls} ${feature}`);
      }
    });
  });
});

describe.each((ref.cases as any[]).filter((c) => c.expected.mcnemar))('McNemar reference $id', (c) => {
  const k: number = c.k;
  const y: number[] = c.inputs.y_true;
  const yHat = argmaxRows(Float32Array.from(c.inputs.probs.flat() as number[]), k);
  const E = c.expected;
  it('McNemar', () => {
    const yb: number[] = c.inputs.y_pred_b;
    const m = mcnemar(
      Array.from(yHat, (p, i) => p === y[i]),
      yb.map((p, i) => p === y[i]),
    );
    const R = E.mcnemar;
    expect(m.table).toEqual(R.table);
    expect(m.exact_statistic).toBe(R.exact_statistic);
    for (const key of ['exact_pvalue', 'chi2_cc_pvalue', 'chi2_pvalue', 'chi2_cc_statistic', 'chi2_statistic'] as const) {
      expect(Math.abs((m[key] as number) - R[key]), key).toBeLessThanOrEqual(1e-10 * Math.abs(R[key]));
    }
  });
});

describe('erfc', () => {
  it('matches known values', () => {
    expect(erfc(0)).toBe(1);
    expect(Math.abs(erfc(0.5) - 0.4795001221869535) / 0.4795001221869535).toBeLessThan(1e-14);
    expect(Math.abs(erfc(3) - 2.209049699858544e-5) / 2.209049699858544e-5).toBeLessThan(1e-13);
    expect(Math.abs(erfc(6) - 2.1519736712498913e-17) / 2.1519736712498913e-17).toBeLessThan(1e-13);
  });
});
