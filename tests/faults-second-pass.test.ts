/**
 * Right or refused, second pass: each fault a hostile test found in the newer capabilities
 * (report --out, manifests, user models, precomputed features, fold files), reproduced and now
 * refused or done right; and the messages a careful user needs. Every corpus here is written by
 * `serbench synth` (no shared data needed).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticCorpus } from '../harness/cli/synth.ts';
import { loadManifest } from '../datasets/corpora/manifest.ts';
import { parseSuite } from '../harness/suite.ts';
import { runSuite } from '../harness/run/run.ts';
import { reportRun } from '../harness/cli/report.ts';
import type { Results } from '../harness/stats/evaluate-run.ts';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'serbench.js');
const serbench = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

let corpus = '';
beforeAll(async () => {
  corpus = mkdtempSync(join(tmpdir(), 'serbench-p2-corpus-'));
  await writeSyntheticCorpus(corpus, { speakers: 2, clips: 1, seed: 5 });
}, 60_000);

/** A suite over the synthetic manifest (four classes, speakers held out). */
const suite = (models: string, extra = '', manifest = join(corpus, 'metadata.csv')) => `
name: p2
seeds: [1]
datasets: [{ corpus: manifest, path: ${JSON.stringify(manifest)}, name: synth }]
labels: { set: [neutral, happy, sad, angry] }
split: { protocol: speaker-independent, test_fraction: 0.5, val_fraction: 0 }
features: { duration: 1.0, n_mels: 16, n_mfcc: 8, hop_length: 512 }
models: ${models}
evaluation: { bootstrap: 20, slices: [speaker], min_slice: 1 }
report: { spectrograms: false }
${extra}`;

/** Write a suite file in a fresh folder; returns its path. */
function suiteFile(text: string, name = 'suite.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-'));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const run = (text: string, out: string) =>
  runSuite(parseSuite(text, join(out, '..', 'suite.yaml')), { out, cacheDir: null, quiet: true, jobs: 1, processes: 1 });

describe('1. report --out never deletes a run or anyone else’s files', () => {
  it('refuses the run folder, a folder holding it, and a folder that is not a site; replaces its own site', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'serbench-p2-out-'));
    const out = join(parent, 'run');
    await run(suite('[{ name: tree, type: tree }]'), out);
    writeFileSync(join(parent, 'notes.txt'), 'mine');
    for (const target of [out, parent]) {
      const r = serbench(['report', out, '--out', target]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/the site would replace (the run folder itself|a folder that holds the run folder)/);
    }
    const someone = join(parent, 'someone');
    mkdirSync(someone);
    writeFileSync(join(someone, 'thesis.tex'), 'x');
    expect(serbench(['report', out, '--out', someone]).stderr).toMatch(/holds files \(thesis\.tex\) and is not a site serbench built/);
    // Nothing was lost.
    for (const f of ['plan.json', 'data.json', 'suite.yaml', 'jobs']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(parent, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(someone, 'thesis.tex'))).toBe(true);
    // A new folder, twice: the second time it is a site serbench built, and is replaced.
    const site = join(parent, 'published');
    for (let i = 0; i < 2; i++) expect(serbench(['report', out, '--out', site]).status).toBe(0);
    expect(existsSync(join(site, 'index.html'))).toBe(true);
  }, 120_000);
});

describe('2. a manifest that is not UTF-8', () => {
  it('is refused naming the file and the line, by validate and by run, before two speakers are merged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-latin1-'));
    const text =
      'path,label,speaker\nsynth-studio/synth-studio-s01-angry-1.wav,angry,Zoë\nsynth-studio/synth-studio-s01-sad-1.wav,sad,Zoé\ncafé_angry.wav,angry,Zoé\n';
    writeFileSync(join(dir, 'm.csv'), Buffer.from(text, 'latin1'));
    const file = suiteFile(suite('[{ type: tree }]', '', join(dir, 'm.csv')));
    for (const cmd of ['validate', 'run']) {
      const r = serbench([cmd, file, '--out', join(dir, 'run')].slice(0, cmd === 'run' ? 4 : 2));
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${join(dir, 'm.csv')}:2: not UTF-8 (byte 0xEB`);
    }
  });
});

describe('3. a CSV manifest with a quoted newline (RFC 4180, as pandas writes it)', () => {
  it('reads the row whole: no extra clip, no dropped one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-csv-'));
    for (const f of ['synth-studio/synth-studio-s01-angry-1.wav', 'synth-studio/synth-studio-s02-sad-1.wav']) {
      mkdirSync(join(dir, 'synth-studio'), { recursive: true });
      copyFileSync(join(corpus, f), join(dir, f));
    }
    writeFileSync(
      join(dir, 'm.csv'),
      'path,label,speaker,note\nsynth-studio/synth-studio-s01-angry-1.wav,angry,a,"said twice,\nthen ""louder"""\nsynth-studio/synth-studio-s02-sad-1.wav,sad,b,\n',
    );
    const r = loadManifest(join(dir, 'm.csv'), 'm');
    expect(r.skipped).toEqual([]);
    expect(r.clips.map((c) => [c.emotion, c.speaker, c.attributes?.note])).toEqual([
      ['angry', 'm-a', 'said twice,\nthen "louder"'],
      ['sad', 'm-b', undefined],
    ]);
  });
});

describe('4. a model of your own that does not return probabilities', () => {
  it('each such job fails, naming the module and what is wrong; none is scored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-mod-'));
    const outputs: Record<string, string> = {
      times3: 'new Float32Array(x.n * this.k).fill(3 / this.k)',
      negative: 'Float32Array.from({ length: x.n * this.k }, (_, i) => (i % this.k === 0 ? -0.5 : 1.5 / (this.k - 1)))',
      zeros: 'new Float32Array(x.n * this.k)',
      wide: 'new Float32Array(x.n * (this.k + 1)).fill(1 / (this.k + 1))',
      nan: 'new Float32Array(x.n * this.k).fill(NaN)',
    };
    for (const [name, body] of Object.entries(outputs))
      writeFileSync(
        join(dir, `${name}.mjs`),
        `export default class M { constructor(k) { this.k = k; this.family = '${name}'; }
          async fit() { return { seconds: 0, parameters: 0, notes: [] }; }
          async predictProba(x) { return ${body}; }
          async toJSON() { return { family: '${name}', k: this.k }; } }`,
      );
    const models = `[${Object.keys(outputs)
      .map((n) => `{ name: ${n}, type: module, module: ${JSON.stringify(join(dir, `${n}.mjs`))} }`)
      .join(', ')}, { name: tree, type: tree }]`;
    const out = join(dir, 'run');
    const s = await run(suite(models), out);
    const why = Object.fromEntries(s.failed.map((f) => [f.model, f.error]));
    expect(why.times3).toMatch(/the probabilities of clip 0 sum to 3 \(each row must sum to 1/);
    expect(why.negative).toMatch(/a negative probability \(-0\.5\) for clip 0, class 0/);
    expect(why.zeros).toMatch(/sum to 0/);
    expect(why.wide).toMatch(/values for \d+ clips × 4 classes \(5 per clip/);
    expect(why.nan).toMatch(/gave NaN for clip 0, class 0: probabilities must be finite/);
    for (const e of Object.values(why)) expect(e).toContain(dir);
    const { results } = await reportRun(out);
    expect(results.models.map((m) => m.name)).toEqual(['tree']);
  }, 120_000);
});

describe('5. precomputed embeddings of different dimensions', () => {
  it('are refused before any work, naming both files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-npy-'));
    const npy = (dims: number) => {
      const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims},), }`.padEnd(118) + '\n';
      const h = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.from([header.length, 0]), Buffer.from(header, 'latin1')]);
      return Buffer.concat([h, Buffer.from(new Float32Array(dims).fill(0.5).buffer)]);
    };
    mkdirSync(join(dir, 'emb'));
    writeFileSync(join(dir, 'emb', 'a.npy'), npy(8));
    writeFileSync(join(dir, 'emb', 'b.npy'), npy(6));
    const file = suiteFile(
      suite('[{ type: svm, features: precomputed }]', `features: { precomputed: { path: ${JSON.stringify(join(dir, 'emb'))} } }`).replace(
        /^features: \{ duration.*$/m,
        '',
      ),
    );
    const r = serbench(['validate', file]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'emb', 'b.npy')}: a 6-dimensional embedding, where ${join(dir, 'emb', 'a.npy')} has 8`);
  });
});

describe('6. two fold files giving one fold name for the same seed', () => {
  it('are refused, naming both files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-folds-'));
    mkdirSync(join(dir, 'folds'));
    for (const f of ['a', 'b']) writeFileSync(join(dir, 'folds', `${f}.json`), JSON.stringify({ seed: 1, fold: 'one', train: [], test: [] }));
    const file = suiteFile(
      suite('[{ type: tree }]').replace(
        'protocol: speaker-independent, test_fraction: 0.5, val_fraction: 0',
        `protocol: predefined, folds: ${JSON.stringify(join(dir, 'folds'))}`,
      ),
    );
    const r = serbench(['validate', file]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'folds', 'b.json')}: fold "one" of seed 1 is also given by ${join(dir, 'folds', 'a.json')}`);
  });

  it('a fold file whose field is wrong is refused naming the file and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-folds-'));
    writeFileSync(join(dir, 'f.json'), JSON.stringify({ fold: 'one', train: 'synth/x', test: [] }));
    const file = suiteFile(
      suite('[{ type: tree }]').replace(
        'protocol: speaker-independent, test_fraction: 0.5, val_fraction: 0',
        `protocol: predefined, folds: ${JSON.stringify(join(dir, 'f.json'))}`,
      ),
    );
    expect(serbench(['validate', file]).stderr).toContain(`${join(dir, 'f.json')}: "train" must be a list of clip ids, got string`);
  });
});

describe('a model of your own where researchers keep it', () => {
  it('loads from a folder outside the checkout as .ts, .mts and .js, importing the contract from serbench', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-own-'));
    // As `npm i <path to serbench>` would leave it.
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'serbench'));
    const body = (typed: boolean) => `import { allSamples${typed ? ', type Batch, type Classifier, type FitReport' : ''} } from 'serbench';
export default class Mean${typed ? ' implements Classifier' : ''} {
  ${typed ? 'readonly family = "mean"; readonly k: number; ' : ''}constructor(k${typed ? ': number' : ''}) { ${typed ? '' : 'this.family = "mean"; '}this.k = k; }
  async fit(train${typed ? ': Batch' : ''})${typed ? ': Promise<FitReport>' : ''} { allSamples(train); return { seconds: 0, parameters: 0, notes: [] }; }
  async predictProba(x${typed ? ': Batch' : ''}) { return new Float32Array(x.n * this.k).fill(1 / this.k); }
  async toJSON() { return { family: 'mean', k: this.k }; }
  static async fromJSON(j${typed ? ': { k: number }' : ''}) { return new Mean(j.k); }
}\n`;
    writeFileSync(join(dir, 'mine.ts'), body(true));
    writeFileSync(join(dir, 'mine.mts'), body(true));
    writeFileSync(join(dir, 'mine.js'), body(false));
    const models = `[${['ts', 'mts', 'js'].map((e) => `{ name: ${e}, type: module, module: ./mine.${e} }`).join(', ')}]`;
    writeFileSync(join(dir, 'suite.yaml'), suite(models));
    const r = serbench(['run', join(dir, 'suite.yaml'), '--out', join(dir, 'run'), '--no-cache', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, 'run', 'results.json'), 'utf8')) as Results).models.map((m) => m.name)).toEqual(['ts', 'mts', 'js']);
  }, 120_000);
});

describe('the messages a careful user needs', () => {
  it('a fit that never settles fails its job with that said, and the run goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-hang-'));
    writeFileSync(
      join(dir, 'hang.mjs'),
      `export default class H { constructor(k) { this.k = k; this.family = 'hang'; } fit() { return new Promise(() => {}); } async predictProba() {} async toJSON() { return {}; } }`,
    );
    writeFileSync(join(dir, 'suite.yaml'), suite(`[{ name: hang, type: module, module: ./hang.mjs }, { name: tree, type: tree }]`));
    for (const jobs of ['1', '2']) {
      const r = serbench(['run', join(dir, 'suite.yaml'), '--out', join(dir, `run${jobs}`), '--no-cache', '--jobs', jobs]);
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/job s1_held-out-speakers_hang failed: hang's fit\(\) never settled/);
      expect(r.stderr).toMatch(/1 job\(s\) trained, 0 already done, 1 failed/);
    }
  }, 120_000);

  it('a broken ONNX encoder fails the models that read it, not the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-onnx-'));
    writeFileSync(join(dir, 'broken.onnx'), 'not an onnx model');
    const text = suite(
      '[{ name: emb, type: mlp, features: embedding }, { name: tree, type: tree }]',
      `features: { duration: 1.0, n_mels: 16, n_mfcc: 8, hop_length: 512, embedding: { model: ${JSON.stringify(join(dir, 'broken.onnx'))} } }`,
    ).replace(/^features: \{ duration: 1\.0, n_mels: 16, n_mfcc: 8, hop_length: 512 \}$/m, '');
    const out = join(dir, 'run');
    const s = await run(text, out);
    expect(s.failed.map((f) => f.model)).toEqual(['emb']);
    expect(s.completed).toEqual(['s1_held-out-speakers_tree']);
  }, 120_000);

  it('names validate accepts can become files: too long is refused; a slice named ../x stays in slices/', async () => {
    const long = suiteFile(suite(`[{ name: ${'m'.repeat(150)}, type: tree }]`));
    expect(serbench(['validate', long]).stderr).toMatch(/models\[0\]\.name: "m+…" is too long to name files \(150 bytes as a file name, at most 100\)/);
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-slice-'));
    const out = join(dir, 'run');
    await run(suite('[{ name: tree, type: tree }]').replace('slices: [speaker]', 'slices: [speaker, "../x"]'), out);
    await reportRun(out);
    expect(readdirSync(join(out, 'slices')).sort()).toEqual(['tree__%2E.%2Fx.csv', 'tree__corpus+gender.csv', 'tree__speaker.csv']);
    expect(existsSync(join(out, 'x.csv'))).toBe(false);
  }, 120_000);

  it('a CLI option given twice, seeds given twice, an empty SERBENCH_DATA: each said plainly', () => {
    const file = suiteFile(suite('[{ type: tree }]'));
    const twice = serbench(['run', file, '--out', '/tmp/a', '--out', '/tmp/b']);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toBe('serbench: --out is given 2 times; give it once\n');
    const seeds = serbench(['validate', suiteFile(suite('[{ type: tree }]').replace('seeds: [1]', 'seeds: [1, 1]'))]);
    expect(seeds.status).toBe(2);
    expect(seeds.stderr).toMatch(/seeds: lists 1 twice: each item once/);
    // Set but empty, as in the shell's ${VAR:-default}: the default is used.
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-env-'));
    mkdirSync(join(dir, 'data'));
    // The manifest in data/ naming the corpus's files by absolute paths.
    const rows = readFileSync(join(corpus, 'metadata.csv'), 'utf8').trim().split('\n');
    writeFileSync(
      join(dir, 'data', 'metadata.csv'),
      rows.map((l, i) => (i === 0 ? l : `${join(corpus, l.split(',')[0])},${l.split(',').slice(1).join(',')}`)).join('\n') + '\n',
    );
    writeFileSync(join(dir, 's.yaml'), suite('[{ type: tree }]', '', '${SERBENCH_DATA:-data}/metadata.csv'));
    const env = serbench(['validate', join(dir, 's.yaml')], { SERBENCH_DATA: '' });
    expect(env.status, env.stderr).toBe(0);
  });

  it('a warm feature cache is counted as hits; confidence 0.999 is said as 99.9%', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-warm-'));
    const file = join(dir, 's.yaml');
    writeFileSync(file, suite('[{ type: tree }]').replace('bootstrap: 20', 'bootstrap: 20, confidence: 0.999'));
    const cache = join(dir, 'cache');
    const cold = serbench(['run', file, '--out', join(dir, 'a'), '--cache', cache, '--quiet']);
    const warm = serbench(['run', file, '--out', join(dir, 'b'), '--cache', cache, '--quiet']);
    const counts = (s: string) => /feature cache (\d+) hits \/ (\d+) misses/.exec(s)!.slice(1).map(Number);
    expect(counts(cold.stderr)[1]).toBeGreaterThan(0);
    expect(counts(warm.stderr)).toEqual([counts(cold.stderr)[1], 0]);
    const html = readFileSync(join(dir, 'b', 'site', 'fairness.html'), 'utf8');
    expect(html).toContain('with 99.9% intervals');
    expect(html).not.toContain('100% intervals');
  }, 120_000);

  it('merging into a folder run on other data says its jobs will not count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-p2-merge-'));
    const small = join(dir, 'small.csv');
    const rows = readFileSync(join(corpus, 'metadata.csv'), 'utf8').trim().split('\n');
    writeFileSync(
      small,
      rows
        .slice(0, -4)
        .map((l, i) => (i === 0 ? l : l.replace(/^([^,]+)/, `${corpus}/$1`)))
        .join('\n') + '\n',
    );
    const full = join(dir, 'full.csv');
    writeFileSync(full, rows.map((l, i) => (i === 0 ? l : l.replace(/^([^,]+)/, `${corpus}/$1`))).join('\n') + '\n');
    writeFileSync(join(dir, 's.yaml'), suite('[{ type: tree }]', '', './m.csv'));
    copyFileSync(small, join(dir, 'm.csv'));
    expect(serbench(['run', join(dir, 's.yaml'), '--out', join(dir, 'target'), '--no-cache', '--quiet']).status).toBe(0);
    copyFileSync(full, join(dir, 'm.csv'));
    expect(serbench(['run', join(dir, 's.yaml'), '--out', join(dir, 'part'), '--no-cache', '--quiet', '--shard', '0/1']).status).toBe(0);
    const m = serbench(['merge', join(dir, 'target'), join(dir, 'part')]);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stderr).toMatch(/was run on other data than the shards .*: its 1 job file\(s\) will not count/);
  }, 120_000);
});

describe('the fairness page, read as an auditor would', () => {
  it('a tie names two groups; untested rows say why; no interval from one clip', async () => {
    const { evaluateModel, evalOptions } = await import('../harness/stats/evaluate.ts');
    const { DEFAULT_EVALUATION } = await import('../harness/suite-schema.ts');
    const clip = (id: string, gender: 'female' | 'male', emotion: string) =>
      ({ id, source: { kind: 'file', path: id }, corpus: 'c', speaker: id, gender, emotion, originalLabel: emotion }) as never;
    const row = (id: string, gender: 'female' | 'male', y: number, hit: boolean) => ({
      clip: clip(id, gender, ['a', 'b'][y]),
      seed: 1,
      modelSeed: 1,
      fold: 'f',
      y,
      probs: hit === (y === 0) ? [0.9, 0.1] : [0.1, 0.9],
      calibrated: hit === (y === 0) ? [0.9, 0.1] : [0.1, 0.9],
    });
    // 40 clips per gender, the same accuracy in both: a tie.
    const rows = ['female', 'male'].flatMap((g) => Array.from({ length: 40 }, (_, i) => row(`${g}${i}`, g as 'female', i % 2, i % 4 !== 0)));
    const o = evalOptions({ ...DEFAULT_EVALUATION, slices: ['gender', 'speaker'], intersections: [], bootstrap: 50 }, ['a', 'b']);
    const e = evaluateModel(rows, o);
    const gender = e.slices.find((s) => s.field === 'gender')!;
    expect(gender.accuracy_gap!.best).not.toBe(gender.accuracy_gap!.worst);
    expect(gender.accuracy_gap!.difference.estimate).toBe(0);
    const speaker = e.slices.find((s) => s.field === 'speaker')!;
    expect(speaker.accuracy_gap).toBeNull();
    expect(speaker.not_tested).toMatch(/no group has at least 30 clips \(min_slice\); the 80 smaller group\(s\) are shown but not tested/);
    expect(speaker.equalized_odds.every((x) => x.not_tested)).toBe(true);
    // A one-clip group: no bootstrap interval, not [100%, 100%].
    expect(speaker.groups[0].uar).toMatchObject({ resamples: 0 });
    expect(Number.isNaN(speaker.groups[0].uar.lo)).toBe(true);
  });
});
