import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, copyFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseSuite, loadSuite } from '../harness/suite.ts';
import { runSuite } from '../harness/run/run.ts';
import { removeStaleTemporaries } from '../harness/run-folder/folder.ts';
import { report } from '../harness/cli/report.ts';
import { comparePages, collectionSite } from '../harness/cli/compare.ts';
import { cpSync } from 'node:fs';
import { CORPORA_SAMPLE, haveShared } from './paths.ts';
import type { Results } from '../harness/stats/evaluate-run.ts';

const SAMPLE = haveShared('runs on real clips (decoding failures, relative paths, cross-corpus)', 'corpora-sample');
const SYNTH_SUITE = `
name: e2e
seeds: [1]
datasets:
  - corpus: synthetic
    synthetic: { speakers_per_corpus: 6, clips_per_emotion: 6, conditions: 2, bias: { corpus: synth-phone, gender: male, snr_db: -6 } }
labels: { set: [neutral, happy, sad, angry] }
split: { protocol: stratified, test_fraction: 0.4, val_fraction: 0.1 }
augment: { copies: 1, ops: [{ type: noise, snr_db: [15, 30] }] }
features: { sample_rate: 16000, duration: 2, n_fft: 512, hop_length: 512, n_mels: 32, n_mfcc: 20 }
models:
  - { name: svm, type: svm }
  - { name: tree, type: tree, params: { max_depth: 6 } }
  - { name: cnn, type: cnn, params: { filters: [8], dense: 16, epochs: 3, patience: 3 } }
evaluation: { bootstrap: 200, slices: [corpus, gender], intersections: [[corpus, gender]], min_slice: 10 }
`;

describe('a run from YAML to report folder', () => {
  const out = mkdtempSync(join(tmpdir(), 'serbench-run-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'serbench-cache-'));
  const suite = parseSuite(SYNTH_SUITE, join(out, 'suite.yaml'));
  let results: Results;

  beforeAll(async () => {
    const summary = await runSuite(suite, { out, cacheDir, quiet: true });
    expect(summary.failed).toEqual([]);
    expect(summary.completed.length).toBe(3);
    await report(out);
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  }, 300_000);

  it('writes results, predictions, slices and every page of the site', () => {
    expect(results.format).toBe('serbench-results/3');
    // results.json holds what its schema (results.schema.json) requires, at every level the schema describes.
    const schema = JSON.parse(readFileSync(join(out, 'results.schema.json'), 'utf8'));
    const check = (value: unknown, sch: Record<string, any>, path: string): void => {
      for (const key of sch.required ?? []) expect(value, `${path}.${key}`).toHaveProperty(key);
      for (const [key, sub] of Object.entries((sch.properties ?? {}) as Record<string, any>))
        if (value && typeof value === 'object' && key in value) check((value as Record<string, unknown>)[key], sub, `${path}.${key}`);
      if (sch.items && Array.isArray(value)) value.forEach((v, i) => check(v, sch.items, `${path}[${i}]`));
    };
    check(results, schema, 'results');
    expect(results.models.map((m) => m.name)).toEqual(['svm', 'tree', 'cnn']);
    const csv = readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n');
    const testClips = results.models[0].evaluation.n;
    expect(csv.length).toBe(1 + 3 * testClips);
    expect(csv[0]).toBe(
      'model,seed,model_seed,fold,clip,corpus,speaker,gender,age,intensity,truth,predicted,confidence,temperature,p_neutral,p_happy,p_sad,p_angry',
    );
    for (const page of [
      'index.html',
      'fairness.html',
      'data.html',
      'provenance.html',
      'models/svm.html',
      'models/tree.html',
      'models/cnn.html',
      'style.css',
      'data/results.json',
    ]) {
      expect(existsSync(join(out, 'site', page)), page).toBe(true);
    }
    expect(readdirSync(join(out, 'slices'))).toContain('svm__corpus+gender.csv');
    // A random split hears every speaker in training: the audit must say so.
    expect(results.data.leakage[0]).toMatchObject({ sharedClips: [], speakerIndependent: false });
    expect(results.data.leakage[0].sharedSpeakers.length).toBe(12); // all 2 × 6 speakers
    expect(results.environment.backend).toMatch(/wasm|tensorflow|cpu/);
    // The overview says, per network, how its training went.
    const cnnJob = results.models.find((m) => m.name === 'cnn')!.jobs[0];
    expect(readFileSync(join(out, 'site', 'index.html'), 'utf8')).toMatch(
      new RegExp(`Networks' training[\\s\\S]*<code>${cnnJob.id}</code></td><td>${cnnJob.fit.epochs}</td><td>${cnnJob.fit.bestEpoch}</td>`),
    );
    // Provenance: versions (vega-lite's package.json is behind its exports map), machine, wall time, data.
    expect(results.environment['vega-lite']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(results.provenance.wall_seconds).toBeGreaterThan(0);
    expect(results.provenance.cores).toBeGreaterThan(0);
    expect(results.provenance.cpu).toBeTruthy();
    expect(results.provenance.data).toEqual({
      hash: JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')).dataHash,
      clips: results.data.clips,
      per_corpus: { 'synth-phone': results.data.clips / 2, 'synth-studio': results.data.clips / 2 },
    });
    expect(readFileSync(join(out, 'site', 'provenance.html'), 'utf8')).toMatch(/wall time[\s\S]*first process start to last process end/);
  });

  it('finds the bias planted in the synthetic corpus (male speakers of synth-phone at −6 dB SNR)', () => {
    const svm = results.models.find((m) => m.name === 'svm')!.evaluation;
    const inter = svm.slices.find((s) => s.field === 'corpus|gender')!;
    expect(inter.worst_group).toBe('synth-phone|male');
    const acc = Object.fromEntries(inter.groups.map((g) => [g.group, g.accuracy.estimate]));
    expect(acc['synth-phone|male']).toBeLessThan(acc['synth-studio|male'] - 0.15);
    // Enough clips per group: the planted gap is beyond noise by its own (Newcombe) interval.
    expect(inter.accuracy_gap!.worst).toBe('synth-phone|male');
    expect(inter.gap_beyond_noise).toBe(true);
    expect(inter.accuracy_gap!.n_worst).toBeGreaterThanOrEqual(10);
  });

  it('tables for a paper: leaderboard, per-class, per-fold and fairness as Markdown, CSV and LaTeX', async () => {
    const { buildTable, formatTable, cellText } = await import('../harness/api.ts');
    const lb = buildTable(results, 'leaderboard');
    expect(lb.header).toEqual(['#', 'model', 'n', 'UAR', 'accuracy', 'macro F1', 'ECE', '≈ best']);
    expect(lb.rows.map((r) => r[1])).toEqual(results.leaderboard.map((l) => l.model));
    const uar = results.models.find((m) => m.name === lb.rows[0][1])!.evaluation.headline.uar;
    expect(cellText(lb.rows[0][3])).toBe(`${(100 * uar.estimate).toFixed(1)} [${(100 * uar.lo).toFixed(1)}, ${(100 * uar.hi).toFixed(1)}]`);
    const pc = buildTable(results, 'per-class');
    expect(pc.rows.map((r) => r[0])).toEqual(['neutral', 'happy', 'sad', 'angry']);
    const pf = buildTable(results, 'per-fold');
    expect(pf.header).toEqual(['fold', 'n', 'svm', 'tree', 'cnn']);
    expect(pf.rows).toHaveLength(1);
    expect(buildTable(results, 'fairness').rows.find((r) => r[0] === 'svm' && r[1] === 'corpus|gender')![9]).toBe('yes');
    // CSV for analysis: an interval is five columns of numbers; missing cells are empty, never "—".
    const { parseCsv } = await import('../datasets/text-files.ts');
    for (const kind of ['leaderboard', 'per-class', 'per-fold', 'fairness'] as const) {
      const [head, ...body] = parseCsv(formatTable(buildTable(results, kind), 'csv'), kind).map((r) => r.fields);
      expect(body.length).toBeGreaterThan(0);
      head.forEach((h, i) => {
        const column = body.map((r) => r[i]);
        if (/ (low|high|n)$|^(n|#|UAR|accuracy|macro F1|ECE|gap|n best|n worst|groups|comparable)$/.test(h))
          expect([kind, h, column.every((v) => v === '' || Number.isFinite(Number(v)))]).toEqual([kind, h, true]);
        expect(
          column.some((v) => v === '—'),
          `${kind} ${h}`,
        ).toBe(false);
      });
    }
    const lbCsv = parseCsv(formatTable(lb, 'csv'), 'leaderboard').map((r) => r.fields);
    expect(lbCsv[0].slice(3, 8)).toEqual(['UAR', 'UAR low', 'UAR high', 'UAR n', 'UAR method']);
    expect(Number(lbCsv[1][3])).toBeCloseTo(100 * uar.estimate, 3);
    expect(lbCsv[1][7]).toBe('bootstrap');
    const md = formatTable(lb, 'md').split('\n');
    expect(md[0]).toBe('| # | model | n | UAR | accuracy | macro F1 | ECE | ≈ best |');
    expect(md[1]).toBe('|---|---|---|---|---|---|---|---|');
    const tex = formatTable(pc, 'latex');
    expect(tex).toMatch(/\\begin\{tabular\}\{lr+\}[\s\S]*\\toprule[\s\S]*\\bottomrule/);
    expect(tex.split('\n')[0]).toBe('% needs \\usepackage{booktabs} (\\toprule, \\midrule, \\bottomrule)');
    expect(formatTable(lb, 'latex')).toContain('$\\approx$ best');
    expect(formatTable(pf, 'csv').split('\n')[0]).toBe('fold,n,svm,tree,cnn');
    // The CLI prints the same.
    const { spawnSync } = await import('node:child_process');
    const cli = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'serbench.js'), 'table', out, '--what', 'per-class', '--format', 'latex'], {
      encoding: 'utf8',
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toBe(tex);
  });

  it('running the same command again resumes: nothing is retrained and results are identical', async () => {
    const before = readFileSync(join(out, 'jobs', 's1_random_cnn.json'), 'utf8');
    const summary = await runSuite(suite, { out, cacheDir, quiet: true });
    expect(summary.completed).toEqual([]);
    expect(summary.resumed.length).toBe(3);
    expect(readFileSync(join(out, 'jobs', 's1_random_cnn.json'), 'utf8')).toBe(before);
  }, 60_000);

  it('compares N runs with the first (paired where they share test clips) and builds one site with a model × run leaderboard', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'serbench-copy-'));
    cpSync(out, copy, { recursive: true });
    // A third run of another suite: other classes and seed, so no test clip is shared.
    const third = mkdtempSync(join(tmpdir(), 'serbench-third-'));
    const other = parseSuite(
      SYNTH_SUITE.replace('seeds: [1]', 'seeds: [4]')
        .replace('labels: { set: [neutral, happy, sad, angry] }', 'labels: { set: [neutral, happy, sad] }')
        .replace(/  - \{ name: cnn.*\n/, ''),
      join(third, 'suite.yaml'),
    );
    await runSuite(other, { out: third, cacheDir, quiet: true });
    await report(third);
    const { out: cmp, summary } = await comparePages([out, copy, third], mkdtempSync(join(tmpdir(), 'serbench-cmp-')));
    const html = readFileSync(join(cmp, 'index.html'), 'utf8');
    // The terminal gets the summary table: every model of each run against the baseline's.
    expect(summary.split('\n')[1]).toMatch(/^run\s+model\s+.* UAR\s+UAR\s+difference\s+paired clips\s+McNemar p$/);
    expect(summary.split('\n').filter((l) => l.startsWith(basename(copy)))).toHaveLength(3);
    expect(html).toContain('UAR this − baseline (paired)');
    expect(html).toContain('Same suite settings as the baseline.');
    expect(html).toContain('class sets differ: neutral, happy, sad, angry against neutral, happy, sad');
    expect(html).toContain('no test clip is shared');
    expect(html).toMatch(/suite setting\(s\) differ from the baseline[\s\S]*seeds: \[1\] → \[4\][\s\S]*model cnn: \{/);
    expect(html).toMatch(/Recall per class, this run − baseline/);
    const site = await collectionSite([out, copy, third], mkdtempSync(join(tmpdir(), 'serbench-site-')), 'Three runs');
    const index = readFileSync(join(site, 'index.html'), 'utf8');
    expect(index).toContain('Three runs');
    expect(index).toMatch(/Leaderboard, model × run/);
    expect(index).toMatch(/worst group \d+\.\d% \(corpus\|gender=synth-phone\|male, n=\d+\)/);
    expect(existsSync(join(site, 'compare', 'index.html'))).toBe(true);
    const runDirs = readdirSync(site).filter((f) => !f.includes('.') && f !== 'compare');
    expect(runDirs.length).toBe(3);
    for (const d of runDirs) expect(existsSync(join(site, d, 'index.html'))).toBe(true);
    // Every link in the index opens a file of the site.
    for (const [, href] of index.matchAll(/href="([^"#]+)"/g))
      if (!href.startsWith('http') && href !== 'style.css') expect(existsSync(join(site, decodeURIComponent(href))), href).toBe(true);
  });

  it('refuses to reuse a run folder for a different suite', async () => {
    const other = parseSuite(SYNTH_SUITE.replace('max_depth: 6', 'max_depth: 5'), join(out, 'suite.yaml'));
    await expect(runSuite(other, { out, cacheDir, quiet: true })).rejects.toThrow(/holds a run of a different suite/);
  });
});

describe.skipIf(!SAMPLE)('a clip that fails to decode mid-run is skipped and listed; the run goes on', () => {
  it('reports the file and the reason', async () => {
    const data = mkdtempSync(join(tmpdir(), 'serbench-tess-'));
    const tess = readdirSync(join(CORPORA_SAMPLE, 'tess')).filter((f) => /_(angry|sad)\.wav$/.test(f));
    for (const f of tess) copyFileSync(join(CORPORA_SAMPLE, 'tess', f), join(data, f));
    // A float WAV whose header is fine (so the loader accepts it) but whose samples are NaN.
    const head = Buffer.alloc(44);
    head.write('RIFF', 0, 'latin1');
    head.writeUInt32LE(36 + 64000, 4);
    head.write('WAVEfmt ', 8, 'latin1');
    head.writeUInt32LE(16, 16);
    head.writeUInt16LE(3, 20);
    head.writeUInt16LE(1, 22);
    head.writeUInt32LE(16000, 24);
    head.writeUInt32LE(64000, 28);
    head.writeUInt16LE(4, 32);
    head.writeUInt16LE(32, 34);
    head.write('data', 36, 'latin1');
    head.writeUInt32LE(64000, 40);
    const nan = Buffer.alloc(64000); // one second: long enough to pass the loader's length check
    for (let i = 0; i < 16000; i++) nan.writeFloatLE(NaN, i * 4);
    writeFileSync(join(data, 'OAF_zzz_angry.wav'), Buffer.concat([head, nan]));
    const out = mkdtempSync(join(tmpdir(), 'serbench-run-'));
    const suite = parseSuite(
      `name: bad-clip\ndatasets: [{corpus: tess, path: "${data}"}]\nlabels: {set: [angry, sad]}\nsplit: {protocol: stratified, test_fraction: 0.3}\nfeatures: {duration: 1.5, n_mels: 32, n_mfcc: 13}\nmodels: [{type: tree}]\nevaluation: {bootstrap: 50}\n`,
      join(out, 's.yaml'),
    );
    const summary = await runSuite(suite, { out, cacheDir: null, quiet: true });
    expect(summary.failed).toEqual([]);
    expect(summary.skipped).toEqual([
      { path: join(data, 'OAF_zzz_angry.wav'), reason: `${join(data, 'OAF_zzz_angry.wav')}: non-finite sample (NaN or infinity) at frame 0` },
    ]);
    await report(out);
    const results: Results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.data.skipped.map((s) => s.path)).toContain(join(data, 'OAF_zzz_angry.wav'));
    expect(readFileSync(join(out, 'site', 'data.html'), 'utf8')).toContain('OAF_zzz_angry.wav');

    // In job processes every process meets the clip (the parent extracting, each job worker
    // reading): the report lists it once.
    const two = parseSuite(
      suite.source.replace('models: [{type: tree}]', 'models: [{type: tree}, {type: tree, name: shallow, params: {max_depth: 3}}]'),
      join(out, 's2.yaml'),
    );
    const out2 = mkdtempSync(join(tmpdir(), 'serbench-run-'));
    await runSuite(two, { out: out2, cacheDir: null, quiet: true, processes: 2, jobs: 2 });
    await report(out2);
    const results2: Results = JSON.parse(readFileSync(join(out2, 'results.json'), 'utf8'));
    expect(results2.data.skipped.filter((s) => s.path === join(data, 'OAF_zzz_angry.wav'))).toHaveLength(1);
  }, 120_000);
});

describe('faults: a diverging model and an unwritable output folder', () => {
  it('a model whose training diverges fails alone, with the reason, and the report lists it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'serbench-nan-'));
    const suite = parseSuite(
      `name: diverge\ndatasets: [{corpus: synthetic, synthetic: {speakers_per_corpus: 2, clips_per_emotion: 2, conditions: 1}}]\nlabels: {set: [happy, sad]}\nfeatures: {duration: 1, n_mels: 16, hop_length: 512}\nmodels: [{name: wild, type: cnn, params: {filters: [4], dense: 8, epochs: 3, learning_rate: 1e12}}, {type: tree}]\nevaluation: {bootstrap: 50}\n`,
      join(out, 's.yaml'),
    );
    const summary = await runSuite(suite, { out, cacheDir: null, quiet: true });
    expect(summary.completed).toEqual(['s0_random_tree']);
    expect(summary.failed.map((f) => [f.id, f.error])).toEqual([
      ['s0_random_wild', expect.stringMatching(/cnn: .*diverged.*learning rate 1000000000000 too high/)],
    ]);
    await report(out);
    const results: Results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.failures.map((f) => f.id)).toEqual(['s0_random_wild']);
    expect(results.models.map((m) => m.name)).toEqual(['tree']);
    expect(readFileSync(join(out, 'site', 'index.html'), 'utf8')).toMatch(/Failed jobs[\s\S]*s0_random_wild/);
  }, 120_000);

  it('an output folder that cannot be created is named in the error before any work', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'serbench-file-')), 'not-a-folder');
    writeFileSync(file, 'x');
    const suite = parseSuite(`name: x\ndatasets: [{corpus: synthetic}]\nmodels: [{type: tree}]\n`, join(tmpdir(), 's.yaml'));
    await expect(runSuite(suite, { out: join(file, 'run'), cacheDir: null, quiet: true })).rejects.toThrow(
      new RegExp(`cannot write the run folder ${join(file, 'run')}`),
    );
  });
});

describe.skipIf(!SAMPLE)('a suite with relative dataset paths', () => {
  it('rebuilds its report from the run folder, which lives elsewhere', async () => {
    const home = mkdtempSync(join(tmpdir(), 'serbench-rel-'));
    const data = join(home, 'data', 'savee');
    mkdirSync(data, { recursive: true });
    for (const f of readdirSync(join(CORPORA_SAMPLE, 'savee')).filter((f) => /^(DC|JE)_(a|sa)0[12]\.wav$/.test(f)))
      copyFileSync(join(CORPORA_SAMPLE, 'savee', f), join(data, f));
    mkdirSync(join(home, 'suites'));
    const suiteFile = join(home, 'suites', 'rel.yaml');
    writeFileSync(
      suiteFile,
      'name: rel\ndatasets: [{corpus: savee, path: ../data/savee}]\nlabels: {set: [angry, sad]}\nsplit: {protocol: stratified, test_fraction: 0.5, val_fraction: 0}\nfeatures: {duration: 1.5, n_mels: 16, n_mfcc: 8}\nmodels: [{type: tree}]\nevaluation: {bootstrap: 20}\n',
    );
    const out = join(mkdtempSync(join(tmpdir(), 'serbench-out-')), 'run');
    await runSuite(loadSuite(suiteFile), { out, cacheDir: null, quiet: true });
    await expect(report(out)).resolves.toBe(join(out, 'site'));
  }, 60_000);
});

describe('run folder temporaries', () => {
  it("removes a dead writer's temporary file and keeps a live one's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-tmp-'));
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    const dead = join(dir, `a.json.${2 ** 22 + 1}.0123abcd.tmp`);
    const live = join(dir, `b.json.${process.pid}.0123abcd.tmp`);
    writeFileSync(dead, '{');
    writeFileSync(live, '{');
    writeFileSync(join(dir, 'c.json'), '{}');
    removeStaleTemporaries(dir);
    expect(readdirSync(dir).sort()).toEqual(['b.json.' + process.pid + '.0123abcd.tmp', 'c.json'].sort());
  });
});

describe.skipIf(!SAMPLE)('the shared-sample cross-corpus run (SVM and tree; the CNN is left out for time)', () => {
  it('its overview cites no group below min_slice, and flags the out-of-domain temperature', async () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'suites', 'cross-corpus.yaml'), 'utf8').replace(
      /^models:\n(?:  - .*\n)+/m,
      'models:\n  - { name: svm, type: svm, features: summary, params: { grid: false } }\n  - { name: tree, type: tree, features: summary }\n',
    );
    const out = mkdtempSync(join(tmpdir(), 'serbench-xcorpus-'));
    process.env.SERBENCH_DATA = CORPORA_SAMPLE;
    const suite = parseSuite(text, join(import.meta.dirname, '..', 'suites', 'cross-corpus.yaml'));
    const summary = await runSuite(suite, { out, cacheDir: null, quiet: true });
    expect(summary.failed).toEqual([]);
    await report(out);
    const r: Results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const minSlice = r.suite.evaluation.min_slice;
    expect(minSlice).toBe(30);
    for (const m of r.models)
      for (const s of m.evaluation.slices) {
        if (s.accuracy_gap) expect(Math.min(s.accuracy_gap.n_best, s.accuracy_gap.n_worst), `${m.name} ${s.field}`).toBeGreaterThanOrEqual(minSlice);
        if (s.worst_group) expect(s.groups.find((g) => g.group === s.worst_group)!.small).toBe(false);
      }
    const html = readFileSync(join(out, 'site', 'index.html'), 'utf8');
    const fairness = /<h2>Largest fairness gap<\/h2>\s*<p>([^<]*)<\/p>/.exec(html)![1];
    for (const [, n] of fairness.matchAll(/\(n=(\d+)\)/g)) expect(Number(n)).toBeGreaterThanOrEqual(minSlice);
    expect(r.flags.map((f) => f.kind)).toContain('temperature-off-domain');
    // The Data page of a shared-sample run: spectrograms as PNG files, page and pictures under 2 MB.
    const site = join(out, 'site');
    const pngs = readdirSync(join(site, 'data', 'spectrograms'));
    expect(pngs.length).toBeGreaterThanOrEqual(20); // 4 corpora × their emotions, and the models' errors
    const bytes = statSync(join(site, 'data.html')).size + pngs.reduce((a, f) => a + statSync(join(site, 'data', 'spectrograms', f)).size, 0);
    expect(bytes).toBeLessThan(2_000_000);
    for (const f of pngs)
      expect(
        readFileSync(join(site, 'data', 'spectrograms', f))
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    const dataPage = readFileSync(join(site, 'data.html'), 'utf8');
    expect(dataPage).toMatch(/CC BY-NC-SA 4\.0[\s\S]*Livingstone/); // RAVDESS's card
    expect(dataPage).toMatch(/aged 21–61/); // CREMA-D's ages in this sample
    expect(readFileSync(join(site, 'models', 'svm.html'), 'utf8')).toMatch(/What the most confident errors sound like[\s\S]*data\/spectrograms\/[^"]+\.png/);
    // Per-fold files: each held-out corpus is a test set.
    expect(readdirSync(join(out, 'folds')).sort()).toEqual(['1_without-crema-d.json', '1_without-ravdess.json', '1_without-savee.json', '1_without-tess.json']);
  }, 300_000);
});

describe('job processes hand on their cores with --share-cores (#12)', () => {
  it('when one process runs out of jobs, the network still training in the other grows to two threads between epochs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'serbench-spare-'));
    const suite = parseSuite(
      `name: spare\ndatasets: [{corpus: synthetic, synthetic: {speakers_per_corpus: 2, clips_per_emotion: 3, conditions: 1}}]\nlabels: {set: [happy, sad]}\nfeatures: {duration: 1, n_mels: 16, hop_length: 512}\nmodels: [{type: tree}, {type: cnn, params: {filters: [4], dense: 8, epochs: 40, patience: 40}}]\nevaluation: {bootstrap: 50}\n`,
      join(out, 's.yaml'),
    );
    const summary = await runSuite(suite, { out, cacheDir: null, quiet: true, processes: 2, jobs: 2, shareCores: true });
    expect(summary.failed).toEqual([]);
    const cnn = JSON.parse(readFileSync(join(out, 'jobs', 's0_random_cnn.json'), 'utf8'));
    expect(cnn.fit.notes.join(' ')).toMatch(/from epoch \d+ on 2 threads \(cores the run's other job processes left;/);
    expect(cnn.fit.history).toHaveLength(40);
    // Without --share-cores (the default) every job stays on its one core.
    const kept = mkdtempSync(join(tmpdir(), 'serbench-spare-'));
    await runSuite(suite, { out: kept, cacheDir: null, quiet: true, processes: 2, jobs: 2 });
    expect(JSON.parse(readFileSync(join(kept, 'jobs', 's0_random_cnn.json'), 'utf8')).fit.notes.join(' ')).not.toMatch(/threads/);
  }, 120_000);
});
