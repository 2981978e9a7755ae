import { describe, it, expect } from 'vitest';
import { evaluateModel, compareModels, type PredictionRow, type EvalOptions } from '../harness/stats/evaluate.ts';
import { calibration, fitTemperature } from '../harness/stats/calibration.ts';
import { classification } from '../harness/stats/metrics.ts';
import { mcnemar } from '../harness/stats/significance.ts';
import { Rng } from '../core/random.ts';
import type { Clip } from '../datasets/types.ts';

const o: EvalOptions = {
  rankBy: 'uar',
  proportionInterval: 'wilson',
  classes: ['neutral', 'happy', 'sad'],
  bootstrap: 200,
  confidence: 0.95,
  eceBins: 15,
  slices: ['corpus', 'gender', 'age_band'],
  intersections: [['corpus', 'gender']],
  minSlice: 5,
};
const clip = (i: number, extra: Partial<Clip> = {}): Clip => ({
  id: `c${i}`,
  source: { kind: 'file', path: `c${i}.wav` },
  corpus: i % 2 ? 'a' : 'b',
  speaker: `s${i % 3}`,
  gender: i % 2 ? 'female' : 'male',
  emotion: 'neutral',
  originalLabel: 'n',
  ...extra,
});
const row = (i: number, y: number, probs: number[], extra: Partial<Clip> = {}): PredictionRow => ({
  clip: clip(i, extra),
  seed: 1,
  modelSeed: 1,
  fold: 'f',
  y,
  probs,
  calibrated: probs,
});

/**
 * Every number in a structure is a number (NaN shows up in JSON as null and in the report as "—"),
 * but the bounds of a bootstrap interval that was not formed (too few clips: resamples 0), which are NaN on purpose.
 */
function noNaN(v: unknown, path = ''): void {
  if (typeof v === 'number') expect(Number.isNaN(v), path).toBe(false);
  else if (Array.isArray(v)) v.forEach((x, i) => noNaN(x, `${path}[${i}]`));
  else if (v && typeof v === 'object') {
    const unformed = ['bootstrap', 'basic-bootstrap'].includes((v as { method?: string }).method ?? '') && (v as { resamples?: number }).resamples === 0;
    for (const [k, x] of Object.entries(v)) if (!(unformed && (k === 'lo' || k === 'hi'))) noNaN(x, `${path}.${k}`);
  }
}

describe('degenerate inputs give defined values and warnings', () => {
  it('one class present, a class never predicted', () => {
    const rows = [row(0, 0, [0.7, 0.2, 0.1]), row(1, 0, [0.2, 0.7, 0.1]), row(2, 0, [0.6, 0.3, 0.1])];
    const e = evaluateModel(rows, o);
    noNaN(e);
    expect(e.headline.uar.estimate).toBeCloseTo(2 / 3, 12); // UAR over the one present class
    expect(e.warnings.join('\n')).toMatch(/classes absent from the test data: happy, sad/);
    expect(e.warnings.join('\n')).toMatch(/never predicted: sad/);
    expect(e.warnings.join('\n')).toMatch(/gender=female: 1 clips \(< 5\)/);
  });
  it('n = 1 and n = 0', () => {
    const one = evaluateModel([row(0, 1, [0.1, 0.8, 0.1])], o);
    noNaN(one);
    // One clip: the bootstrap would say [100%, 100%]; Wilson says what one clip can support, and
    // the bootstrap says nothing (its bounds NaN, null in results.json, "—" on the page).
    expect(one.headline.accuracy).toMatchObject({ estimate: 1, hi: 1, n: 1, method: 'wilson' });
    expect(one.headline.accuracy.lo).toBeCloseTo(0.2065493143772374, 12);
    expect(one.headline.uar).toMatchObject({ estimate: 1, n: 1, method: 'bootstrap', resamples: 0 });
    expect([one.headline.uar.lo, one.headline.uar.hi]).toEqual([NaN, NaN]);
    const none = evaluateModel([], o);
    noNaN(none);
    expect(none.warnings).toContain('no test predictions');
    expect(classification([], [], 3).accuracy).toBe(0);
    expect(calibration([], [], 3).ece).toBe(0);
    expect(fitTemperature([], [], 3).temperature).toBe(1);
  });
  it('missing metadata becomes its own "unknown" slice; age is banded', () => {
    const rows = [row(0, 0, [0.7, 0.2, 0.1], { age: 23 }), row(1, 1, [0.2, 0.7, 0.1], { age: 27 }), row(2, 2, [0.1, 0.2, 0.7], { gender: undefined })];
    const e = evaluateModel(rows, o);
    expect(e.slices.find((s) => s.field === 'age_band')!.groups.map((g) => g.group)).toEqual(['20–29', 'unknown']);
    expect(e.slices.find((s) => s.field === 'gender')!.groups.map((g) => g.group)).toEqual(['female', 'male', 'unknown']);
  });
  it('McNemar with no discordant pairs says so and gives p = 1', () => {
    expect(mcnemar([true, false], [true, false])).toMatchObject({ exact_pvalue: 1, chi2_cc_pvalue: 1, note: 'no discordant pairs' });
  });
});

describe('comparison and intervals', () => {
  const many = (flip: (i: number) => boolean) =>
    Array.from({ length: 300 }, (_, i) => {
      const y = i % 3;
      const right = !flip(i);
      const p = [0.1, 0.1, 0.1];
      p[right ? y : (y + 1) % 3] = 0.8;
      return row(i, y, p);
    });
  it('a better model is significantly better; a model equals itself', () => {
    const good = many((i) => i % 10 === 0),
      bad = many((i) => i % 3 === 0);
    const c = compareModels('good', good, 'bad', bad, o);
    expect(c.paired).toBe(300);
    expect(c.accuracy_difference.estimate).toBeCloseTo(0.9 - 2 / 3, 12);
    expect(c.accuracy_difference.lo).toBeGreaterThan(0);
    expect(c.significant).toBe(true);
    expect(compareModels('good', good, 'same', good, o).significant).toBe(false);
  });
  it('bootstrap intervals contain the estimate and narrow with more clips', () => {
    const e = evaluateModel(
      many((i) => i % 4 === 0),
      o,
    );
    const a = e.headline.accuracy;
    expect(a.lo).toBeLessThanOrEqual(a.estimate);
    expect(a.hi).toBeGreaterThanOrEqual(a.estimate);
    const small = evaluateModel(many((i) => i % 4 === 0).slice(0, 40), o).headline.accuracy;
    expect(small.hi - small.lo).toBeGreaterThan(a.hi - a.lo);
  });
  it("ECE's interval is the basic bootstrap: a calibrated model's is not kept off 0 by the plug-in's bias", () => {
    // 20 test sets of 720 clips from a model that is calibrated by construction (a clip with top
    // probability p is right with probability p), so the true ECE is 0. The plug-in ECE is above 0
    // on every set, and percentiles of resamples, which add the bias again, lie above it.
    const rng = new Rng('calibrated');
    let coversZero = 0,
      percentileCoversZero = 0;
    for (let t = 0; t < 20; t++) {
      const rows = Array.from({ length: 720 }, (_, i) => {
        const top = 0.4 + 0.6 * rng.next();
        const y = i % 3;
        const yHat = rng.next() < top ? y : (y + 1) % 3;
        const probs = [0, 1, 2].map((c) => (c === yHat ? top : (1 - top) / 2));
        return row(i, y, probs);
      });
      const ece = evaluateModel(rows, { ...o, slices: [], intersections: [] }).headline.ece;
      expect(ece).toMatchObject({ method: 'basic-bootstrap', n: 720, resamples: 200 });
      expect(ece.estimate).toBeGreaterThan(0);
      expect(ece.lo).toBeGreaterThanOrEqual(0);
      if (ece.lo === 0) coversZero++;
      // The percentile interval of the same resamples: its lower end is 2·estimate − hi.
      if (2 * ece.estimate - ece.hi <= 0) percentileCoversZero++;
    }
    expect(percentileCoversZero).toBe(0);
    expect(coversZero).toBeGreaterThanOrEqual(5);
  });
  it('with several seeds, intervals resample clips, not rows', () => {
    const rows = many((i) => i % 4 === 0);
    const twice = [...rows, ...rows.map((r) => ({ ...r, seed: 2, modelSeed: 2 }))];
    const one = evaluateModel(rows, o).headline.accuracy,
      two = evaluateModel(twice, o).headline.accuracy;
    // Repeating the same clips under a second seed is not new evidence: the width stays about the same.
    expect((two.hi - two.lo) / (one.hi - one.lo)).toBeGreaterThan(0.8);
  });
});

describe('model seeds apart from split seeds', () => {
  const job = (seed: number, modelSeed: number, fold: string, wrongEvery: number) =>
    Array.from({ length: 90 }, (_, i) => {
      const y = i % 3;
      const p = [0.1, 0.1, 0.1];
      p[i % wrongEvery === 0 ? (y + 1) % 3 : y] = 0.8;
      return { ...row(i, y, p), seed, modelSeed, fold };
    });
  it('the UAR spread over model seeds (within a split) and over splits are reported apart', () => {
    // Two splits (folds a, b) × two model seeds: model seeds move UAR a little, splits a lot.
    const rows = [...job(1, 10, 'a', 3), ...job(1, 11, 'a', 4), ...job(1, 10, 'b', 10), ...job(1, 11, 'b', 12)];
    const e = evaluateModel(rows, o);
    expect(e.jobs).toBe(4);
    expect(e.uar_spread.model_seeds).toBe(2);
    expect(e.uar_spread.splits).toBe(2);
    const uar = (w: number) => 1 - Math.ceil(90 / w) / 90; // wrong on every w-th clip, all classes alike
    const sdOf = (a: number, b: number) => Math.abs(a - b) / Math.SQRT2;
    const within = Math.sqrt((sdOf(uar(3), uar(4)) ** 2 + sdOf(uar(10), uar(12)) ** 2) / 2);
    expect(e.uar_spread.over_model_seeds!).toBeCloseTo(within, 2);
    expect(e.uar_spread.over_splits!).toBeCloseTo(sdOf((uar(3) + uar(4)) / 2, (uar(10) + uar(12)) / 2), 2);
    // One job: no spread of either kind.
    const one = evaluateModel(job(1, 1, 'a', 3), o);
    expect(one.uar_spread).toEqual({ model_seeds: 1, over_model_seeds: null, splits: 1, over_splits: null });
  });
  it('two models are paired on the same split seed, model seed, fold and clip', () => {
    const a = [...job(1, 10, 'a', 3), ...job(1, 11, 'a', 3)];
    const b = [...job(1, 10, 'a', 5), ...job(1, 11, 'a', 5)];
    expect(compareModels('a', a, 'b', b, o).paired).toBe(180);
  });
});
