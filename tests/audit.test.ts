/**
 * Auditing models made elsewhere: per-clip outputs imported (type: predictions), a pretrained
 * ONNX classifier (type: onnx), a run's fitted models applied again (serbench predict), and
 * committed folds as people download them (EmoBox's).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSuite } from '../harness/suite.ts';
import { runSuite } from '../harness/run/run.ts';
import { reportRun } from '../harness/cli/report.ts';
import { writeSyntheticCorpus } from '../harness/cli/synth.ts';
import { predictRecordings, predictionsCsv } from '../harness/cli/predict.ts';
import { readRun } from '../harness/run-folder/read-run.ts';
import { OnnxClassifier } from '../models/onnx-classifier.ts';
import { SHARED, CORPORA_DEV, haveShared } from './paths.ts';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'serbench.js');
const FIXTURE = join(import.meta.dirname, 'fixtures', 'tiny-classifier');

const SYNTH = `
name: audit
seeds: [1]
datasets: [{ corpus: synthetic, synthetic: { speakers_per_corpus: 4, clips_per_emotion: 2, conditions: 2 } }]
labels: { set: [neutral, happy, sad, angry] }
split: { protocol: speaker-independent, test_fraction: 0.5, val_fraction: 0.25 }
features: { duration: 1.0, n_mels: 24, n_mfcc: 13, hop_length: 512 }
evaluation: { bootstrap: 100, slices: [corpus, gender], min_slice: 5 }
report: { spectrograms: false }
`;
const run = (text: string, out: string) =>
  runSuite(parseSuite(text, join(out, '..', 'suite.yaml')), { out, cacheDir: null, quiet: true, jobs: 1, processes: 1 });

describe('type: predictions', () => {
  let base = '';
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'serbench-audit-'));
    await run(`${SYNTH}models: [{ name: svm, type: svm }, { name: tree, type: tree, params: { max_depth: 4 } }]\n`, join(base, 'a'));
    await reportRun(join(base, 'a'));
  }, 120_000);

  it("a run's own predictions.csv, imported, gives that model's metrics, intervals and slices exactly", async () => {
    const out = join(base, 'b');
    await run(`${SYNTH}models: [{ name: svm, type: predictions, params: { path: ${JSON.stringify(join(base, 'a', 'predictions.csv'))}, model: svm } }]\n`, out);
    const { results } = await reportRun(out);
    const a = readRun(join(base, 'a'))
      .results()
      .models.find((m) => m.name === 'svm')!;
    const b = results.models[0];
    expect(b.family).toBe('predictions');
    expect(JSON.parse(JSON.stringify(b.evaluation))).toEqual(a.evaluation);
    expect(b.jobs[0].temperature).toBe(a.jobs[0].temperature);
    expect(b.jobs[0].fit.notes.join(' ')).toMatch(/temperature .* given with the outputs/);
  }, 120_000);

  it('refuses, naming the file, the line and the clip: a missing test clip, a NaN, a row summing to 1.2, an unknown class', async () => {
    const csv = readFileSync(join(base, 'a', 'predictions.csv'), 'utf8')
      .trim()
      .split('\n');
    const header = csv[0].split(',');
    const svm = csv.filter((l) => l.startsWith('svm,'));
    const col = (name: string) => header.indexOf(name);
    const write = (name: string, lines: string[], head = csv[0]) => {
      const f = join(base, `${name}.csv`);
      writeFileSync(f, [head, ...lines].join('\n') + '\n');
      return f;
    };
    const set = (line: string, name: string, value: string) =>
      line
        .split(',')
        .map((v, i) => (i === col(name) ? value : v))
        .join(',');
    const cases: [string, string, RegExp][] = [
      ['missing', write('missing', svm.slice(1)), /: no row for clip \S+ in this fold \(every test clip needs one\)/],
      ['nan', write('nan', [set(svm[0], 'p_happy', 'NaN'), ...svm.slice(1)]), /nan\.csv:2 \(\S+\): value NaN in column 2/],
      [
        'sum',
        write('sum', [set(svm[0], 'p_happy', String(Number(svm[0].split(',')[col('p_happy')]) + 0.2)), ...svm.slice(1)]),
        /sum\.csv:2 \(\S+\): the probabilities sum to 1\.2/,
      ],
      ['class', write('class', svm, csv[0].replace('p_angry', 'p_calm')), /class\.csv: columns for calm, which the suite has no class for/],
      [
        'unknown clip',
        write('unknown', [set(svm[0], 'clip', 'synthetic/nobody'), ...svm.slice(1)]),
        /unknown\.csv:2 \(synthetic\/nobody\): names no clip of the suite/,
      ],
    ];
    for (const [what, file, message] of cases) {
      const out = join(base, `bad-${what.replace(' ', '-')}`);
      // Refused when the suite is read (validate) or when the job runs (the job fails, the run goes on).
      const refusal = await (async () => {
        try {
          return (await run(`${SYNTH}models: [{ name: w, type: predictions, params: { path: ${JSON.stringify(file)} } }]\n`, out)).failed
            .map((f) => f.error)
            .join('\n');
        } catch (e) {
          return (e as Error).message;
        }
      })();
      expect(refusal, what).toMatch(message);
    }
    // validate reads the file's columns as a job would.
    const dir = mkdtempSync(join(tmpdir(), 'serbench-audit-v-'));
    writeFileSync(join(dir, 's.yaml'), `${SYNTH}models: [{ name: w, type: predictions, params: { path: ${JSON.stringify(join(base, 'class.csv'))} } }]\n`);
    const v = spawnSync(process.execPath, [cli, 'validate', join(dir, 's.yaml')], { encoding: 'utf8' });
    expect(v.status).toBe(2);
    expect(v.stderr).toMatch(/models\[0\]\.params: .*class\.csv: columns for calm, which the suite has no class for/);
  }, 120_000);

  it('logits are softmaxed, rows off by more than 1e-4 are renormalized when told, and the page says so', async () => {
    const csv = readFileSync(join(base, 'a', 'predictions.csv'), 'utf8')
      .trim()
      .split('\n');
    const header = csv[0].split(',');
    const p = header.map((h, i) => (h.startsWith('p_') ? i : -1)).filter((i) => i >= 0);
    const logits = [
      header.map((h) => h.replace(/^p_/, 'logit_')).join(','),
      ...csv.slice(1).map((l) =>
        l
          .split(',')
          .map((v, i) => (p.includes(i) ? String(Math.log(Math.max(Number(v), 1e-9))) : v))
          .join(','),
      ),
    ];
    writeFileSync(join(base, 'logits.csv'), logits.join('\n') + '\n');
    const { results } = await (async () => {
      const out = join(base, 'logits');
      await run(`${SYNTH}models: [{ name: svm, type: predictions, params: { path: ${JSON.stringify(join(base, 'logits.csv'))}, model: svm } }]\n`, out);
      return reportRun(out);
    })();
    expect(results.models[0].jobs[0].fit.notes).toContain('logit_ columns: softmaxed into probabilities');
    const a = readRun(join(base, 'a'))
      .results()
      .models.find((m) => m.name === 'svm')!;
    expect(results.models[0].evaluation.headline.accuracy.estimate).toBeCloseTo(a.evaluation.headline.accuracy.estimate, 12);
  }, 120_000);
});

describe('type: onnx, a pretrained classifier', () => {
  const ref = JSON.parse(readFileSync(join(FIXTURE, 'tiny-classifier-reference.json'), 'utf8')) as {
    labels: string[];
    inputs: { sample_rate: number; samples: number; sines: [number, number][][] };
    probabilities: number[][];
  };
  const wave = (sines: [number, number][]) =>
    Float32Array.from({ length: ref.inputs.samples }, (_, i) =>
      sines.reduce((a, [amp, f]) => a + amp * Math.sin((2 * Math.PI * f * i) / ref.inputs.sample_rate), 0),
    );

  it("gives torch's probabilities to 1e-4, its labels mapped to the suite's classes (one it lacks left out, said)", async () => {
    const m = new OnnxClassifier(5, {
      model: join(FIXTURE, 'tiny-classifier.onnx'),
      labels: ref.labels,
      outputs: 'logits',
      normalize: false,
      drop_labels: false,
      absent_classes: 'refuse',
    });
    const classes = ['neutral', 'calm', 'happy', 'sad', 'angry'];
    const fit = await m.fit({ n: 0, sampleShape: [0], x: new Float32Array(0) }, undefined, {
      seed: 1,
      job: { classes, seed: 1, modelSeed: 1, fold: 'f', clipKeys: new Map() },
    });
    expect(fit.notes[0]).toMatch(/pretrained classifier .*tiny-classifier\.onnx, sha256 [0-9a-f]{32}…, not trained here; its logits softmaxed/);
    const x = new Float32Array(3 * ref.inputs.samples);
    ref.inputs.sines.forEach((s, i) => x.set(wave(s), i * ref.inputs.samples));
    const p = await m.predictProba({ n: 3, sampleShape: [ref.inputs.samples], x });
    for (let i = 0; i < 3; i++)
      classes.forEach((c, j) => expect(Math.abs(p[i * 5 + j] - ref.probabilities[i][ref.labels.indexOf(c)]), `${i} ${c}`).toBeLessThan(1e-4));
    // The suite without calm: refused, or left out when told (rows renormalized).
    const four = { seed: 1, job: { classes: ['neutral', 'happy', 'sad', 'angry'], seed: 1, modelSeed: 1, fold: 'f', clipKeys: new Map() } };
    await expect(new OnnxClassifier(4, { ...m.params }).fit({ n: 0, sampleShape: [0], x: new Float32Array(0) }, undefined, four)).rejects.toThrow(
      /labels calm, which the suite has no class for/,
    );
    const dropped = new OnnxClassifier(4, { ...m.params, drop_labels: true });
    expect((await dropped.fit({ n: 0, sampleShape: [0], x: new Float32Array(0) }, undefined, four)).notes.join(' ')).toMatch(/left out labels calm/);
    const q = await dropped.predictProba({ n: 3, sampleShape: [ref.inputs.samples], x });
    const kept = ref.probabilities[0].filter((_, j) => ref.labels[j] !== 'calm').reduce((a, b) => a + b, 0);
    expect(Math.abs(q[0] - ref.probabilities[0][ref.labels.indexOf('neutral')] / kept)).toBeLessThan(1e-4);
  });

  it('goes through a whole run and its report beside a trained model', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'serbench-onnx-')), 'run');
    const suite = `${SYNTH.replace('labels: { set: [neutral, happy, sad, angry] }', 'labels: { set: [calm, angry, happy, neutral, sad], map: {} }')}models:
  - { name: pretrained, type: onnx, features: waveform, params: { model: ${JSON.stringify(join(FIXTURE, 'tiny-classifier.onnx'))}, labels: [calm, angry, happy, neutral, sad], normalize: true } }
  - { name: tree, type: tree }
`;
    const s = await run(suite, out);
    expect(s.failed).toEqual([]);
    const { results, site } = await reportRun(out);
    expect(results.models.map((m) => [m.name, m.family])).toEqual([
      ['pretrained', 'onnx'],
      ['tree', 'tree'],
    ]);
    expect(results.models[0].evaluation.n).toBeGreaterThan(0);
    expect(readFileSync(join(site, 'models', 'pretrained.html'), 'utf8')).toContain('not trained here');
  }, 120_000);
});

/** `serbench predict` with each job's saved model gives that job's rows of the run's predictions.csv (probabilities to 1e-6); returns those rows. */
async function expectPredictionsAgain(out: string, manifest: string): Promise<string[]> {
  const expected = readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n');
  const header = expected[0].split(',');
  for (const m of ['svm', 'tree', 'mlp', 'cnn', 'vit']) {
    const r = await predictRecordings(out, [manifest], { job: `s1_held-out-speakers_${m}` });
    const got = new Map(
      predictionsCsv(r.model, r.classes, r.rows)
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => [l.split(',')[4], l.split(',')]),
    );
    const mine = expected.filter((l) => l.startsWith(`${m},`)).map((l) => l.split(','));
    expect(mine.length).toBeGreaterThan(0);
    for (const row of mine) {
      const g = got.get(row[4])!;
      expect(g, row[4]).toBeDefined();
      header.forEach((h, j) => {
        if (h.startsWith('p_') || h === 'confidence' || h === 'temperature')
          expect(Math.abs(Number(g[j]) - Number(row[j])), `${m} ${row[4]} ${h}`).toBeLessThan(1e-6);
        else expect(g[j], `${m} ${row[4]} ${h}`).toBe(row[j]);
      });
    }
  }
  return expected;
}

describe('every trained model is kept, and serbench predict applies it again', () => {
  it('models saved by an earlier serbench (tests/fixtures/saved-run-32bacc5) load and give the probabilities they gave then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-saved-'));
    await writeSyntheticCorpus(join(dir, 'corpus'), { speakers: 3, clips: 1, seed: 4 });
    const fixture = join(import.meta.dirname, 'fixtures', 'saved-run-32bacc5');
    const copy = (from: string, to: string) => {
      mkdirSync(to, { recursive: true });
      for (const f of readdirSync(from, { withFileTypes: true }))
        if (f.isDirectory()) copy(join(from, f.name), join(to, f.name));
        else if (f.name !== 'README.md') writeFileSync(join(to, f.name), readFileSync(join(from, f.name), 'utf8').replaceAll('$FIXTURE_ROOT', dir));
    };
    copy(fixture, join(dir, 'run'));
    await expectPredictionsAgain(join(dir, 'run'), join(dir, 'corpus', 'metadata.csv'));
  }, 120_000);

  it("reproduces each job's predictions.csv rows to 1e-6 for the SVM, the tree, the MLP, the CNN and the ViT", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-predict-'));
    await writeSyntheticCorpus(join(dir, 'corpus'), { speakers: 3, clips: 1, seed: 4 });
    const out = join(dir, 'run');
    const suite = `${SYNTH.replace(/datasets: .*\n/, `datasets: [{ corpus: manifest, path: ${JSON.stringify(join(dir, 'corpus', 'metadata.csv'))}, name: synth }]\n`)}models:
  - { name: svm, type: svm }
  - { name: tree, type: tree, params: { max_depth: 4 } }
  - { name: mlp, type: mlp, params: { hidden: [16], epochs: 4 } }
  - { name: cnn, type: cnn, params: { filters: [4], dense: 8, epochs: 2 } }
  - { name: vit, type: vit, params: { patch: 8, dim: 16, depth: 1, heads: 2, mlp_dim: 16, epochs: 2 } }
`;
    await run(suite, out);
    await reportRun(out);
    const models = readdirSync(join(out, 'models'));
    expect(models.sort()).toEqual(['cnn', 'mlp', 'svm', 'tree', 'vit'].map((m) => `s1_held-out-speakers_${m}.json`));
    const expected = await expectPredictionsAgain(out, join(dir, 'corpus', 'metadata.csv'));
    // The mean over a model's jobs (here, one), through the command line, with a table and a CSV.
    const cmd = spawnSync(process.execPath, [cli, 'predict', out, '--model', 'svm', '--out', join(dir, 'p.csv'), join(dir, 'corpus')], { encoding: 'utf8' });
    expect(cmd.status, cmd.stderr).toBe(0);
    expect(cmd.stdout).toMatch(/^svm: job s1_held-out-speakers_svm/);
    expect(readFileSync(join(dir, 'p.csv'), 'utf8').split('\n')[0]).toBe(expected[0]);
  }, 240_000);
});

describe.skipIf(!haveShared("EmoBox's committed folds", 'reference/emobox', 'corpora-dev'))("EmoBox's committed folds, as downloaded", () => {
  it('RAVDESS: six folds run on the actors present, the dropped clips counted; each test set is EmoBox list restricted to them', () => {
    const emobox = join(SHARED, 'reference', 'emobox', 'ravdess');
    const text = `name: emobox
datasets: [{ corpus: ravdess, path: ${JSON.stringify(join(CORPORA_DEV, 'ravdess-16k'))} }]
labels: { set: [neutral, calm, happy, sad, angry, fearful, disgust, surprised], map: {} }
split: { protocol: predefined, folds: ${JSON.stringify(emobox)}, missing: drop, val_fraction: 0.15 }
models: [{ type: tree }]
`;
    const dir = mkdtempSync(join(tmpdir(), 'serbench-emobox-'));
    writeFileSync(join(dir, 's.yaml'), text);
    // Without missing: drop, the clips of actors 13-24 stop validate, named.
    writeFileSync(join(dir, 'strict.yaml'), text.replace(', missing: drop', ''));
    const strict = spawnSync(process.execPath, [cli, 'validate', join(dir, 'strict.yaml')], { encoding: 'utf8' });
    expect(strict.status).toBe(2);
    expect(strict.stderr).toMatch(
      /ravdess_train_fold_1\.jsonl:\d+: "train" names clip 03-01-\d\d-\d\d-\d\d-\d\d-(1[3-9]|2\d), which is not in the suite's data .*split\.missing: drop/,
    );
    const v = spawnSync(process.execPath, [cli, 'validate', join(dir, 's.yaml')], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/720 clips, 6 fold\(s\): 6 job\(s\)/);
    return (async () => {
      const { prepareRun } = await import('../harness/run/plan.ts');
      const p = prepareRun(parseSuite(text, join(dir, 's.yaml')));
      const folds = p.foldsBySeed.get(0)!;
      expect(folds.map((f) => f.name)).toEqual(['fold_1', 'fold_2', 'fold_3', 'fold_4', 'fold_5', 'fold_6']);
      const present = new Set(p.data.clips.map((c) => c.id.split('/')[1]));
      for (const f of folds) {
        const n = f.name.split('_')[1];
        const listed = readFileSync(join(emobox, `fold_${n}`, `ravdess_test_fold_${n}.jsonl`), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).wav.split('/').pop().replace('.wav', ''));
        expect(f.test.map((i) => p.data.clips[i].id.split('/')[1]).sort()).toEqual(listed.filter((s: string) => present.has(s)).sort());
        // Validation from the training side's speakers only.
        const trainSpeakers = new Set(f.train.map((i) => p.data.clips[i].speaker));
        for (const i of f.val) expect(trainSpeakers.has(p.data.clips[i].speaker)).toBe(false);
      }
      expect(p.splitNotes.join('\n')).toMatch(/fold_1: 600 of the 1200 train clips and 120 of the 240 test clips the fold names are not in the data/);
      expect(p.splitNotes.join('\n')).toMatch(/no validation clips in the fold files; \d+ drawn from \d+ of its training speakers/);
    })();
  }, 120_000);
});
