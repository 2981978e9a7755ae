/** Small-group intervals against statsmodels 0.13.5 (shared/reference/metrics/intervals.json), 1e-10 absolute. */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS_REF, haveShared } from './paths.ts';
import { wilson, clopperPearson, newcombe, normalUpperQuantile, regularizedBeta } from '../harness/stats/intervals.ts';

const HAVE = haveShared("intervals against statsmodels' values", 'reference/metrics');
const ref = (HAVE ? JSON.parse(readFileSync(join(METRICS_REF, 'intervals.json'), 'utf8')) : { tolerance: '', single: [], difference: [] }) as {
  tolerance: string;
  single: { k: number; n: number; alpha: number; wilson: [number, number]; clopper_pearson: [number, number] }[];
  difference: { k1: number; n1: number; k2: number; n2: number; alpha: number; newcombe: [number, number] }[];
};
const TOL = 1e-10;

describe('proportion intervals match statsmodels', () => {
  it.skipIf(!HAVE)('the reference says its tolerance is 1e-10', () => expect(ref.tolerance).toBe('1e-10 absolute'));
  it.each(ref.single)('wilson and clopper-pearson, k=$k n=$n alpha=$alpha', (c) => {
    const w = wilson(c.k, c.n, c.alpha);
    const cp = clopperPearson(c.k, c.n, c.alpha);
    for (let j = 0; j < 2; j++) {
      expect(Math.abs(w[j] - c.wilson[j]), `wilson[${j}] ${w[j]} vs ${c.wilson[j]}`).toBeLessThanOrEqual(TOL);
      expect(Math.abs(cp[j] - c.clopper_pearson[j]), `clopper_pearson[${j}] ${cp[j]} vs ${c.clopper_pearson[j]}`).toBeLessThanOrEqual(TOL);
    }
  });
  it.each(ref.difference)('newcombe, $k1/$n1 − $k2/$n2 alpha=$alpha', (c) => {
    const d = newcombe(c.k1, c.n1, c.k2, c.n2, c.alpha);
    for (let j = 0; j < 2; j++) expect(Math.abs(d[j] - c.newcombe[j]), `newcombe[${j}] ${d[j]} vs ${c.newcombe[j]}`).toBeLessThanOrEqual(TOL);
  });
  it('the normal quantile and the beta distribution function are right far from the references', () => {
    expect(normalUpperQuantile(0.025)).toBeCloseTo(1.959963984540054, 14);
    expect(normalUpperQuantile(1e-8)).toBeCloseTo(5.612001244174789, 12);
    expect(normalUpperQuantile(0.975)).toBeCloseTo(-1.959963984540054, 14);
    // I_x(1, 1) = x; I_x(a, 1) = x^a; symmetric: I_x(a, b) = 1 − I_{1−x}(b, a).
    expect(regularizedBeta(0.3, 1, 1)).toBeCloseTo(0.3, 13);
    expect(regularizedBeta(0.7, 5, 1)).toBeCloseTo(0.7 ** 5, 13);
    expect(regularizedBeta(0.4, 30, 12) + regularizedBeta(0.6, 12, 30)).toBeCloseTo(1, 14);
  });
});
