/**
 * What the report concludes, with known answers: a gap of tiny groups is never "beyond noise",
 * a planted gap with enough clips is; a collapsed model, confounded slices, temperature scaling
 * that hurts and the same audio in train and test are flagged; ranking and testing use one metric.
 */
import { describe, it, expect } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateModel, compareModels, type PredictionRow, type EvalOptions } from '../harness/stats/evaluate.ts';
import { sliceValue } from '../harness/stats/slices.ts';
import { modelFlags, temperatureSummary, confoundedSlices, duplicateContent, cramersV } from '../harness/stats/flags.ts';
import { reliabilityDiagram } from '../reports/charts.ts';
import { parseSuite } from '../harness/suite.ts';
import { loadSuiteData } from '../harness/data.ts';
import { auditLeakage } from '../harness/stats/leakage.ts';
import { newcombe } from '../harness/stats/intervals.ts';
import type { Clip } from '../datasets/types.ts';
import { CORPORA_SAMPLE, haveShared } from './paths.ts';

const SAMPLE = haveShared('confounding and duplicate audio on real clips', 'corpora-sample');
const classes = ['neutral', 'happy', 'sad'];
const opts = (over: Partial<EvalOptions> = {}): EvalOptions => ({
  classes,
  bootstrap: 300,
  confidence: 0.95,
  eceBins: 15,
  slices: ['speaker', 'gender'],
  intersections: [],
  minSlice: 30,
  rankBy: 'uar',
  proportionInterval: 'wilson',
  ...over,
});

/** A prediction row: clip i of `speaker`, true class y, predicted `pred` with confidence `conf`. */
function row(i: number, speaker: string, gender: 'female' | 'male', y: number, pred: number, conf = 0.8): PredictionRow {
  const probs = classes.map((_, c) => (c === pred ? conf : (1 - conf) / (classes.length - 1)));
  const clip: Clip = {
    id: `c${i}`,
    source: { kind: 'file', path: `c${i}.wav` },
    corpus: 'x',
    speaker,
    gender,
    emotion: classes[y] as Clip['emotion'],
    originalLabel: '',
  };
  return { clip, seed: 1, modelSeed: 1, fold: 'f', y, probs, calibrated: probs };
}

/** n clips of a group, `right` of them predicted correctly, classes in turn. */
function group(start: number, n: number, right: number, speaker: string, gender: 'female' | 'male'): PredictionRow[] {
  return Array.from({ length: n }, (_, j) => {
    const y = j % 3;
    return row(start + j, speaker, gender, y, j < right ? y : (y + 1) % 3);
  });
}

describe('gaps between groups', () => {
  it('two 1-clip groups: no gap at min_slice 30, and never beyond noise even at min_slice 1', () => {
    const rows = [row(0, 'a', 'female', 0, 0), row(1, 'b', 'male', 1, 2)];
    const strict = evaluateModel(rows, opts()).slices.find((s) => s.field === 'speaker')!;
    expect(strict.groups.every((g) => g.small)).toBe(true);
    expect(strict.accuracy_gap).toBeNull();
    expect(strict.worst_group).toBeNull();
    expect(strict.gap_beyond_noise).toBe(false);
    const loose = evaluateModel(rows, opts({ minSlice: 1 })).slices.find((s) => s.field === 'speaker')!;
    expect(loose.accuracy_gap!.difference.estimate).toBe(1);
    // Newcombe for 1/1 − 0/1 at 95%: [−0.122, 1] (statsmodels), so the gap is not beyond noise.
    expect(loose.accuracy_gap!.difference.lo).toBeCloseTo(-0.12210872068194178, 10);
    expect(loose.gap_beyond_noise).toBe(false);
  });

  it('a planted gap with enough clips is beyond noise; its interval is Newcombe, Bonferroni-adjusted over the pairs', () => {
    const rows = [...group(0, 150, 135, 'f1', 'female'), ...group(1000, 150, 90, 'm1', 'male'), ...group(2000, 150, 120, 'm2', 'male')];
    const e = evaluateModel(rows, opts());
    const spk = e.slices.find((s) => s.field === 'speaker')!;
    expect(spk.comparable).toBe(3);
    expect(spk.worst_group).toBe('m1');
    const gap = spk.accuracy_gap!;
    expect(gap).toMatchObject({ best: 'f1', worst: 'm1', n_best: 150, n_worst: 150, pairs: 3, beyond_noise: true });
    expect(gap.difference.estimate).toBeCloseTo(0.9 - 0.6, 12);
    const [lo, hi] = newcombe(135, 150, 90, 150, 0.05 / 3);
    expect(gap.difference.lo).toBeCloseTo(lo, 12);
    expect(gap.difference.hi).toBeCloseTo(hi, 12);
    expect(spk.uar_gap!.beyond_noise).toBe(true);
    // A gap of 2 points on the same sizes is not.
    const close = evaluateModel([...group(0, 150, 120, 'f1', 'female'), ...group(1000, 150, 117, 'm1', 'male')], opts());
    expect(close.slices.find((s) => s.field === 'speaker')!.gap_beyond_noise).toBe(false);
  });

  it('group accuracy carries a Wilson interval over clips, with n; Clopper–Pearson on request', () => {
    const rows = group(0, 21, 12, 's', 'female');
    const w = evaluateModel(rows, opts({ minSlice: 5 })).slices[0].groups[0];
    expect(w.n).toBe(21);
    expect(w.accuracy).toMatchObject({ method: 'wilson', n: 21 });
    expect(w.accuracy.lo).toBeCloseTo(0.3655, 3);
    const cp = evaluateModel(rows, opts({ minSlice: 5, proportionInterval: 'clopper-pearson' })).slices[0].groups[0];
    expect(cp.accuracy.method).toBe('clopper-pearson');
    expect(cp.accuracy.hi - cp.accuracy.lo).toBeGreaterThan(w.accuracy.hi - w.accuracy.lo);
  });

  it('equalized-odds gaps carry n and an interval, between comparable groups only', () => {
    const rows = [...group(0, 90, 80, 'f1', 'female'), ...group(1000, 90, 50, 'm1', 'male'), ...group(2000, 5, 0, 'tiny', 'male')];
    const spk = evaluateModel(rows, opts()).slices.find((s) => s.field === 'speaker')!;
    for (const eo of spk.equalized_odds) {
      expect(eo.tpr).not.toBeNull();
      expect([eo.tpr!.high, eo.tpr!.low].sort()).toEqual(['f1', 'm1']); // 'tiny' (5 clips) never enters
      expect(eo.tpr!.n_high + eo.tpr!.n_low).toBe(60); // 30 clips of the class in each group
      expect(eo.tpr!.difference.lo).toBeLessThanOrEqual(eo.tpr!.difference.estimate);
      expect(eo.tpr!.difference.method).toBe('newcombe');
    }
  });
});

describe('one metric ranks and tests', () => {
  it('"≈ best" comes from a paired bootstrap of the rank metric, McNemar stays an accuracy test', () => {
    // A: right on every clip of classes 0 and 1, wrong on class 2 (UAR 2/3, accuracy 2/3 of a balanced set);
    // B: accuracy close to A's but spread so its UAR is lower on an imbalanced set.
    const a: PredictionRow[] = [],
      b: PredictionRow[] = [];
    for (let i = 0; i < 300; i++) {
      const y = i < 240 ? 0 : i < 270 ? 1 : 2;
      a.push(row(i, 's', 'female', y, y === 2 ? 0 : y));
      b.push(row(i, 's', 'female', y, y === 0 ? 0 : (y + 1) % 3));
    }
    const c = compareModels('a', a, 'b', b, opts());
    expect(c.metric).toBe('uar');
    expect(c.difference.estimate).toBeCloseTo(2 / 3 - 1 / 3, 12);
    expect(c.accuracy_difference.estimate).toBeCloseTo(270 / 300 - 240 / 300, 12);
    expect(c.significant).toBe(true);
    const byAcc = compareModels('a', a, 'b', b, opts({ rankBy: 'accuracy' }));
    expect(byAcc.difference.estimate).toBeCloseTo(0.1, 12);
  });
});

describe('flags', () => {
  it('a model that predicts one class is flagged as collapsed, with the evidence', () => {
    const rows = Array.from({ length: 90 }, (_, i) => row(i, `s${i % 3}`, 'female', i % 3, 1));
    const e = evaluateModel(rows, opts());
    const flags = modelFlags('cnn', e, temperatureSummary([], e));
    expect(flags.map((f) => f.kind)).toEqual(['collapsed']);
    expect(flags[0].evidence.join('\n')).toMatch(/predicts happy for 100% of 90 test predictions \(its true share: 33%\)/);
    expect(flags[0].evidence.join('\n')).toMatch(/never predicts: neutral, sad/);
    // A good model is not flagged.
    const good = evaluateModel(
      Array.from({ length: 90 }, (_, i) => row(i, 's', 'female', i % 3, i % 3)),
      opts(),
    );
    expect(modelFlags('svm', good, temperatureSummary([], good))).toEqual([]);
  });

  it('temperature scaling that raises test ECE is flagged; validation says which is preferred', () => {
    const rows = Array.from({ length: 100 }, (_, i) => {
      const r = row(i, 's', 'female', i % 3, i % 4 === 0 ? (i + 1) % 3 : i % 3, 0.75);
      r.calibrated = classes.map((_, c) => (c === r.probs.indexOf(Math.max(...r.probs)) ? 0.99 : 0.005));
      return r;
    });
    const e = evaluateModel(rows, opts());
    const t = temperatureSummary([{ validation: { n: 40, nll_raw: 0.7, nll_scaled: 0.6, ece_raw: 0.05, ece_scaled: 0.08 } }], e);
    expect(t.preferred_on_validation).toBe('raw');
    expect(t.test.ece_scaled).toBeGreaterThan(t.test.ece_raw);
    expect(t.hurts_on_test).toBe(true);
    expect(modelFlags('vit', e, t).map((f) => f.kind)).toContain('temperature-hurts');
  });

  it("Cramér's V: 1 for a determined attribute, 0 for independent ones", () => {
    expect(cramersV(['a', 'a', 'b', 'b'], ['x', 'x', 'y', 'y']).v).toBeCloseTo(1, 12);
    expect(cramersV(['a', 'a', 'b', 'b'], ['x', 'y', 'x', 'y']).v).toBeCloseTo(0, 12);
  });

  it.skipIf(!SAMPLE)('gender × corpus confounding is flagged on a suite of TESS + SAVEE (shared sample)', () => {
    const suite = parseSuite(
      `name: t\ndatasets:\n  - { corpus: tess, path: ${JSON.stringify(join(CORPORA_SAMPLE, 'tess'))} }\n  - { corpus: savee, path: ${JSON.stringify(join(CORPORA_SAMPLE, 'savee'))} }\nmodels: [{ type: tree }]\n`,
      join(tmpdir(), 'suite.yaml'),
    );
    const data = loadSuiteData(suite);
    const flags = confoundedSlices((f) => data.clips.map((c) => sliceValue(c, f)), ['corpus', 'speaker', 'gender']);
    expect(flags).toHaveLength(1);
    expect(flags[0].title).toMatch(/^corpus and gender are confounded \(Cramér's V 1\.00\)/);
    expect(flags[0].table).toEqual({
      rows: ['savee', 'tess'],
      cols: ['female', 'male'],
      counts: [
        [0, 84],
        [140, 0],
      ],
    });
  });

  it.skipIf(!SAMPLE)('a WAV duplicated under a second name (another label) is caught by the leakage audit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-dup-'));
    const actor = join(dir, 'Actor_01');
    mkdirSync(actor);
    const src = join(CORPORA_SAMPLE, 'ravdess', 'Actor_01');
    const files = readdirSync(src)
      .filter((f) => f.endsWith('.wav'))
      .slice(0, 6);
    for (const f of files) copyFileSync(join(src, f), join(actor, f));
    // The same bytes under a name that says another emotion, as in the real RAVDESS release.
    const [m, v, emo, ...rest] = files[0].split('-');
    const dupName = [m, v, emo === '05' ? '04' : '05', ...rest].join('-');
    copyFileSync(join(src, files[0]), join(actor, dupName));
    const suite = parseSuite(
      `name: d\ndatasets: [{ corpus: ravdess, path: ${JSON.stringify(dir)} }]\nmodels: [{ type: tree }]\nlabels: { set: [neutral, calm, happy, sad, angry, fearful, disgust, surprised], map: {} }\n`,
      join(dir, 's.yaml'),
    );
    const data = loadSuiteData(suite);
    const at = (name: string) => data.clips.findIndex((c) => c.source.kind === 'file' && c.source.path.endsWith(name));
    const orig = at(files[0]),
      dup = at(dupName);
    expect(data.hashes[orig]).toBe(data.hashes[dup]);
    const others = data.clips.map((_, i) => i).filter((i) => i !== orig && i !== dup);
    const audit = auditLeakage(data.clips, { name: 'f', train: [orig, ...others.slice(1)], val: [], test: [dup, others[0]] }, false, data.hashes);
    expect(audit.sharedClips).toEqual([]); // the ids differ…
    expect(audit.sharedContent).toEqual([{ test: data.clips[dup].id, train: data.clips[orig].id }]); // …the audio does not
    expect(duplicateContent([{ ...audit, seed: 1 }])[0].title).toMatch(/^1 test clip\(s\) have byte-identical audio in training/);
  });
});

describe('reliability diagram', () => {
  it("uses the run's ece_bins, says so in its title, and draws bars, gaps and counts", () => {
    const bins = Array.from({ length: 10 }, (_, b) => ({
      lo: b / 10,
      hi: (b + 1) / 10,
      count: b,
      accuracy: b ? 0.5 : null,
      confidence: b ? 0.6 : null,
      gap: null,
    }));
    const spec = reliabilityDiagram(bins, bins, 10) as { title: { text: string; subtitle: string }; hconcat: unknown[] };
    expect(spec.title.text).toMatch(/10 equal-width bins/);
    // The legend names every colour, the underconfident bins' outline too (it no longer blends into purple).
    expect(spec.title.subtitle).toMatch(/red box = overconfident.*amber outline = underconfident/);
    expect(spec.hconcat).toHaveLength(2);
  });
});
