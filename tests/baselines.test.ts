/**
 * The baselines the field recognizes, apart from eGeMAPS itself (tests/egemaps.test.ts):
 * features z-scored per speaker (or per utterance), and late fusion (type: ensemble).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSuite } from '../harness/suite.ts';
import { runSuite } from '../harness/run/run.ts';
import { reportRun } from '../harness/cli/report.ts';
import { readRun } from '../harness/run-folder/read-run.ts';
import { zScored } from '../datasets/features/store.ts';
import { MODEL_FAMILIES } from '../models/registry.ts';

const SYNTH = `
name: baselines
seeds: [1]
datasets: [{ corpus: synthetic, synthetic: { speakers_per_corpus: 4, clips_per_emotion: 2, conditions: 2 } }]
labels: { set: [neutral, happy, sad, angry] }
split: { protocol: speaker-independent, test_fraction: 0.4, val_fraction: 0.25 }
features: { duration: 1.0, n_mels: 24, n_mfcc: 13, hop_length: 512 }
evaluation: { bootstrap: 100, min_slice: 5 }
report: { spectrograms: false }
`;
const MODELS = `models:
  - { name: svm, type: svm }
  - { name: svm-spk, type: svm, normalize: per_speaker }
  - { name: tree, type: tree, params: { max_depth: 4 } }
  - { name: mean, type: ensemble, params: { members: [svm, tree] } }
  - { name: weighted, type: ensemble, params: { members: [svm, tree], weights: validation } }
`;
const parse = (text: string) => parseSuite(text, join(tmpdir(), 'suite.yaml'));

describe('per-speaker and per-utterance normalization', () => {
  it("z-scores each speaker's vectors with that speaker's own mean and sd, dimension by dimension", () => {
    const speakers = ['a', 'a', 'a', 'b', 'b'];
    const x = Float32Array.from([1, 10, 2, 20, 3, 30, 100, 5, 300, 5]);
    const z = zScored({ n: 5, sampleShape: [2], x }, 'per_speaker', speakers, 2);
    const a = [0, 1, 2].map((i) => z[i * 2]);
    expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 6);
    expect(Math.sqrt(a.reduce((s, v) => s + v * v, 0) / 3)).toBeCloseTo(1, 5);
    expect(z[6]).toBeCloseTo(-1, 6); // speaker b, first dimension: 100 of {100, 300}
    expect([z[7], z[9]]).toEqual([0, 0]); // a value that does not vary becomes 0, not NaN
  });

  it('per utterance, an image is z-scored band by band over its own frames', () => {
    const x = Float32Array.from([1, 2, 3, 10, 10, 10]); // 2 bands × 3 frames
    const z = zScored({ n: 1, sampleShape: [2, 3], x }, 'per_utterance', ['a'], 6);
    expect(Array.from(z.subarray(0, 3)).map((v) => +v.toFixed(4))).toEqual([-1.2247, 0, 1.2247]);
    expect(Array.from(z.subarray(3))).toEqual([0, 0, 0]);
  });

  it('is refused where it means nothing, naming the model', () => {
    expect(() => parse(`${SYNTH}models: [{ name: s, type: svm, normalize: per_utterance }]\n`)).toThrow(/models\[0\]\.normalize.*a vector has none/s);
    expect(() => parse(`${SYNTH}models: [{ name: p, type: svm, normalize: sideways }]\n`)).toThrow(/models\[0\]\.normalize/);
  });
});

describe('type: ensemble', () => {
  it('is refused when a member is not a model of the suite, or is itself an ensemble', () => {
    expect(() => parse(`${SYNTH}models: [{ name: svm, type: svm }, { name: e, type: ensemble, params: { members: [svm, cnn] } }]\n`)).toThrow(
      /"cnn" is not a model of this suite \(its models: svm, e\)/,
    );
    expect(() =>
      parse(
        `${SYNTH}models: [{ name: svm, type: svm }, { name: t, type: tree }, { name: e, type: ensemble, params: { members: [svm, t] } }, { name: f, type: ensemble, params: { members: [e, svm] } }]\n`,
      ),
    ).toThrow(/"e" is an ensemble/);
  });

  it('plans no job of its own', () => {
    expect(MODEL_FAMILIES.ensemble.virtual).toBe(true);
  });
});

describe('a run with per-speaker normalization and two ensembles', () => {
  let dir = '';
  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'serbench-baselines-')), 'run');
    await runSuite(parse(`${SYNTH}${MODELS}`), { out: dir, cacheDir: null, quiet: true, jobs: 1, processes: 1 });
    await reportRun(dir);
  }, 180_000);

  it("an equal-weight ensemble's probabilities are the mean of its members', clip by clip", () => {
    const r = readRun(dir).results();
    const job = (m: string) => r.models.find((x) => x.name === m)!;
    expect(job('mean').family).toBe('ensemble');
    expect(job('mean').evaluation.clips).toBe(job('svm').evaluation.clips);
    const rows = readFileSync(join(dir, 'predictions.csv'), 'utf8').trim().split('\n');
    const head = rows[0].split(',');
    const probCols = head.flatMap((h, i) => (h.startsWith('p_') ? [i] : []));
    const clip = head.indexOf('clip');
    const byModel = (m: string) =>
      new Map(
        rows
          .slice(1)
          .filter((l) => l.startsWith(`${m},`))
          .map((l) => [l.split(',')[clip], probCols.map((c) => +l.split(',')[c])]),
      );
    const [svm, tree, mean] = ['svm', 'tree', 'mean'].map(byModel);
    expect(mean.size).toBe(svm.size);
    for (const [c, p] of mean) p.forEach((v, i) => expect(v).toBeCloseTo((svm.get(c)![i] + tree.get(c)![i]) / 2, 5));
  });

  it('weights chosen on validation are said, and sum to one', () => {
    const r = readRun(dir).results();
    const notes = r.models.find((m) => m.name === 'weighted')!.jobs[0].fit.notes.join(' ');
    const w = [...notes.matchAll(/(svm|tree) (\d\.\d)/g)].map((m) => +m[2]);
    expect(notes).toMatch(/validation clips \(lowest log loss/);
    expect(w).toHaveLength(2);
    expect(w[0] + w[1]).toBeCloseTo(1, 9);
  });

  it('every page says that a model read the test speakers’ unlabeled audio, and names it', () => {
    const r = readRun(dir).results();
    expect(r.flags.map((f) => f.kind)).toContain('test-speaker-statistics');
    const pages = readdirSync(join(dir, 'site'), { recursive: true }).filter((f) => String(f).endsWith('.html'));
    expect(pages.length).toBeGreaterThan(3);
    for (const p of pages) expect(readFileSync(join(dir, 'site', String(p)), 'utf8')).toMatch(/class="warning notice">svm-spk normalizes features per speaker/);
  });

  it("a per-speaker model's saved model says so, so that predict normalizes the same way", () => {
    const jobs = readRun(dir)
      .current()
      .jobs.filter((j) => j.model === 'svm-spk');
    expect(jobs).toHaveLength(1);
    expect(readRun(dir).model(jobs[0].id).normalize).toBe('per_speaker');
  });
});
