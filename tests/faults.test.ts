/**
 * Fault injection: every result is right or refused. Each case here gave a wrong result with
 * exit 0 (or wrote outside the run) before the fix: changed data between two runs of one
 * command, damaged cache entries and job files, colliding and hostile model names, corpora kept
 * as symbolic links, a second run on a busy folder, failed writes, hostile YAML.
 */
import { describe, it, expect } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { parseSuite, SuiteError } from '../harness/suite.ts';
import { runSuite } from '../harness/run/run.ts';
import { evaluateRun } from '../harness/stats/evaluate-run.ts';
import { readRun } from '../harness/run-folder/read-run.ts';
import { writeResults } from '../harness/run-folder/write-results.ts';
import { RunFolder, writeAtomic, lockRunFolder, removeStaleTemporaries } from '../harness/run-folder/folder.ts';
import { fileComponent } from '../core/file-names.ts';
import { loadCorpus } from '../datasets/corpora/load.ts';
import { FeatureCache } from '../datasets/features/cache.ts';
import { CORPORA_SAMPLE, haveShared } from './paths.ts';

const TESS = join(CORPORA_SAMPLE, 'tess');
/** Most of these faults are staged on real TESS clips. */
const SAMPLE = haveShared('faults staged on real TESS clips', 'corpora-sample');

/** Whether this machine lets the tests mount a tiny tmpfs (root, as in CI here): a real full disk. */
function canMountTmpfs(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'serbench-mount-probe-'));
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', dir]).status === 0;
  if (ok) spawnSync('umount', [dir]);
  return ok;
}
const cli = join(import.meta.dirname, '..', 'bin', 'serbench.js');

/** A folder of real TESS clips: OAF, three emotions, the first `words` words. */
function tessFolder(words = 6): string {
  const dir = mkdtempSync(join(tmpdir(), 'serbench-fault-data-'));
  const names = readdirSync(TESS).filter((f) => /^OAF_.*_(angry|sad|happy)\.wav$/.test(f));
  const kept = [...new Set(names.map((f) => f.split('_')[1]))].slice(0, words);
  for (const f of names) if (kept.includes(f.split('_')[1])) copyFileSync(join(TESS, f), join(dir, f));
  return dir;
}

const suiteText = (data: string, models = '[{ name: tree, type: tree, params: { max_depth: 4 } }]') => `
name: faults
seeds: [1]
datasets: [{ corpus: tess, path: ${JSON.stringify(data)} }]
labels: { set: [happy, sad, angry] }
split: { protocol: stratified, test_fraction: 0.34, val_fraction: 0 }
features: { duration: 1.0, n_mels: 16, n_mfcc: 8, hop_length: 512 }
models: ${models}
evaluation: { bootstrap: 20, slices: [speaker], min_slice: 1 }
report: { spectrograms: false }
`;

const run = async (text: string, out: string, cacheDir: string | null = null) =>
  runSuite(parseSuite(text, join(out, '..', 'suite.yaml')), { out, cacheDir, quiet: true, jobs: 1, processes: 1 });

/** Every test prediction names a clip of the current data, with that clip's own label. */
/** A run folder's results, evaluated from its records. */
const resultsOf = (out: string) => evaluateRun(readRun(out).input({}, new Date().toISOString()));

function predictionsMatchData(out: string): void {
  const data = JSON.parse(readFileSync(join(out, 'data.json'), 'utf8')) as { clips: { id: string; emotion: string; path: string }[] };
  const byId = new Map(data.clips.map((c) => [c.id, c]));
  const results = resultsOf(out);
  expect(results.stale_jobs).toEqual([]);
  for (const m of results.models) expect(m.evaluation.n).toBeGreaterThan(0);
  for (const f of readdirSync(join(out, 'jobs'))) {
    const job = JSON.parse(readFileSync(join(out, 'jobs', f), 'utf8')) as { test: { clips: string[] } };
    for (const id of job.test.clips) {
      const clip = byId.get(id);
      expect(clip, `${id} is a clip of the current data`).toBeDefined();
      expect(existsSync(clip!.path), `${clip!.path} exists`).toBe(true);
      expect(id.split('_').pop()).toBe(clip!.emotion === 'happy' ? 'happy' : clip!.emotion === 'sad' ? 'sad' : 'angry');
    }
  }
}

describe('1. the data changes between two runs of the same command', () => {
  it.skipIf(!SAMPLE)('one WAV removed and one added: the affected jobs run again, no prediction names the wrong clip', async () => {
    const data = tessFolder(6);
    const spare = readdirSync(TESS).find((f) => /^OAF_.*_angry\.wav$/.test(f) && !existsSync(join(data, f)))!;
    const out = join(mkdtempSync(join(tmpdir(), 'serbench-fault-')), 'run');
    const first = await run(suiteText(data), out);
    expect(first.completed).toHaveLength(1);
    rmSync(join(data, readdirSync(data).sort()[0]));
    copyFileSync(join(TESS, spare), join(data, spare));
    const second = await run(suiteText(data), out);
    expect(second.resumed).toEqual([]);
    expect(second.recomputed).toEqual([{ id: 's1_random_tree', reason: "its fold's data changed since it was computed" }]);
    expect(readFileSync(join(out, 'run.log'), 'utf8')).toMatch(/the data changed since this folder was run: 1 clip\(s\) added \(tess\/OAF_.*\); 1 removed/);
    predictionsMatchData(out);
    // Unchanged data: now it is done.
    expect((await run(suiteText(data), out)).resumed).toEqual(['s1_random_tree']);
  });

  it.skipIf(!SAMPLE)('removal alone does not crash; a job file of other data is left out of the results, and named', async () => {
    const data = tessFolder(6);
    const out = join(mkdtempSync(join(tmpdir(), 'serbench-fault-')), 'run');
    await run(suiteText(data), out);
    const job = readFileSync(join(out, 'jobs', 's1_random_tree.json'), 'utf8');
    rmSync(join(data, readdirSync(data).sort()[1]));
    await run(suiteText(data), out);
    predictionsMatchData(out);
    // A stale job file put back by hand (say, copied from an old backup) is not read as a result.
    writeFileSync(join(out, 'jobs', 's1_random_tree.json'), job);
    const r = resultsOf(out);
    expect(r.models).toEqual([]);
    expect(r.stale_jobs).toEqual([{ id: 's1_random_tree', reason: "its fold's data changed since it was computed" }]);
  });
});

describe('2. damaged files are never used', () => {
  it.skipIf(!SAMPLE)('a feature-cache entry with flipped bytes or cut short is recomputed, counted, and the results are unchanged', async () => {
    const data = tessFolder(4);
    const cache = mkdtempSync(join(tmpdir(), 'serbench-fault-cache-'));
    const base = mkdtempSync(join(tmpdir(), 'serbench-fault-'));
    await run(suiteText(data), join(base, 'a'), cache);
    const entries = readdirSync(cache, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.f32'))
      .map((f) => join(cache, f));
    expect(entries.length).toBeGreaterThan(2);
    const flipped = readFileSync(entries[0]);
    flipped[flipped.length - 3] ^= 0x5a;
    writeFileSync(entries[0], flipped);
    writeFileSync(entries[1], readFileSync(entries[1]).subarray(0, 40));
    expect(new FeatureCache(cache).verify(entries[0].split('/').pop()!.replace('.f32', ''))).toBe(false);
    const again = await run(suiteText(data), join(base, 'b'), cache);
    expect(again.cache.corrupt).toBe(2);
    const preds = (d: string) => readFileSync(join(d, 'predictions.csv'), 'utf8');
    for (const d of ['a', 'b']) {
      const run = readRun(join(base, d));
      writeResults(run.folder, evaluateRun(run.input({}, new Date().toISOString())), run.current().jobs, run.data());
    }
    expect(preds(join(base, 'b'))).toBe(preds(join(base, 'a')));
  });

  it.skipIf(!SAMPLE)('a damaged job file is not taken as done: the job runs again', async () => {
    const data = tessFolder(4);
    const out = join(mkdtempSync(join(tmpdir(), 'serbench-fault-')), 'run');
    await run(suiteText(data), out);
    const file = join(out, 'jobs', 's1_random_tree.json');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/"probs": \[\n\s*\[\n\s*([0-9.e-]+)/, (m, v) => m.replace(v, String(1 - Number(v)))),
    );
    const again = await run(suiteText(data), out);
    expect(again.recomputed).toEqual([{ id: 's1_random_tree', reason: 'damaged job file (checksum does not match)' }]);
    writeFileSync(file, '{"id": "s1_random_tree", "te');
    expect((await run(suiteText(data), out)).recomputed[0].reason).toMatch(/^damaged job file \(/);
    predictionsMatchData(out);
  });
});

describe('3 and 5. names become file names injectively, and never paths', () => {
  it.skipIf(!SAMPLE)('models "a b" and "a-b" are two jobs and two results', async () => {
    const data = tessFolder(4);
    const out = join(mkdtempSync(join(tmpdir(), 'serbench-fault-')), 'run');
    const s = await run(suiteText(data, '[{ name: "a b", type: tree }, { name: "a-b", type: tree, params: { max_depth: 2 } }]'), out);
    expect(s.completed.sort()).toEqual(['s1_random_a%20b', 's1_random_a-b']);
    const r = resultsOf(out);
    expect(r.models.map((m) => m.name)).toEqual(['a b', 'a-b']);
  });

  it('fileComponent is injective and yields no separators, no "." or ".." and no "_"', () => {
    const names = ['a b', 'a-b', 'a_b', 'a%20b', '../../x/y', '..', '.', '', 'é', 'e\u0301', '.hidden', 'a.b', 'a/b', 'a\\b'];
    const files = names.map(fileComponent);
    expect(new Set(files).size).toBe(names.length);
    for (const f of files) {
      expect(f).not.toMatch(/[/\\_]/);
      expect(['', '.', '..']).not.toContain(f);
      expect(f.startsWith('.')).toBe(false);
    }
  });

  it.skipIf(!SAMPLE)('a model named ../../../../x/y is refused by validation, and no path outside the run folder is ever written', () => {
    const data = tessFolder(2);
    expect(() =>
      parseSuite(suiteText(data, '[{ name: "../../../../x/y", type: tree }, { name: "", type: svm }, { name: "..", type: svm }]'), join(data, 's.yaml')),
    ).toThrowError(SuiteError);
    try {
      parseSuite(suiteText(data, '[{ name: "../../../../x/y", type: tree }, { name: "", type: svm }, { name: "..", type: svm }]'), join(data, 's.yaml'));
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toMatch(/models\[0\]\.name: "\.\.\/\.\.\/\.\.\/\.\.\/x\/y" holds a path separator/);
      expect(msg).toMatch(/models\[1\]\.name: must not be empty/);
      expect(msg).toMatch(/models\[2\]\.name: "\.\." holds "\.\."/);
    }
    const folder = new RunFolder(join(data, 'run'));
    expect(() => folder.path('slices', '../../../../x/y.csv')).toThrow(/outside the run folder/);
    expect(folder.path('slices', fileComponent('../../../../x/y') + '.csv')).toBe(join(data, 'run', 'slices', '%2E.%2F..%2F..%2F..%2Fx%2Fy.csv'));
  });
});

describe('4. corpora kept as symbolic links', () => {
  it.skipIf(!SAMPLE)('symlinked clips and speaker folders are read; a loop and a dangling link are listed, not followed forever', () => {
    const real = tessFolder(4);
    const store = mkdtempSync(join(tmpdir(), 'serbench-fault-links-'));
    const clipsDir = join(store, 'clips');
    mkdirSync(clipsDir);
    for (const f of readdirSync(real)) symlinkSync(join(real, f), join(clipsDir, f));
    const direct = loadCorpus('tess', real);
    const viaFileLinks = loadCorpus('tess', clipsDir);
    expect(viaFileLinks.clips.length).toBe(direct.clips.length);
    expect(viaFileLinks.clips.length).toBe(12);
    const corpus = join(store, 'corpus');
    mkdirSync(corpus);
    symlinkSync(real, join(corpus, 'OAF'));
    symlinkSync(corpus, join(corpus, 'loop'));
    symlinkSync(join(store, 'nowhere'), join(corpus, 'dangling.wav'));
    const viaFolderLink = loadCorpus('tess', corpus);
    expect(viaFolderLink.clips.length).toBe(12);
    const reasons = viaFolderLink.skipped.map((s) => `${s.path.split('/').pop()}: ${s.reason}`);
    expect(reasons).toContainEqual(expect.stringMatching(/^dangling\.wav: symbolic link to nothing readable \(ENOENT\)/));
    expect(reasons).toContainEqual(expect.stringMatching(/^loop: folder already visited as /));
  });
});

describe('a busy run folder, failed writes, hostile YAML', () => {
  it('a temporary file of a killed process is removed even while the process is an unreaped zombie; a live writer’s is kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-zombie-'));
    // bash's background child outlives bash's group kill as a zombie until PID 1 reaps it,
    // which some container inits never do promptly (this machine's did not within seconds).
    const group = spawn('bash', ['-c', 'sleep 30 & sleep 30'], { detached: true });
    await new Promise((r) => setTimeout(r, 300));
    const children = readFileSync(`/proc/${group.pid}/task/${group.pid}/children`, 'utf8').trim().split(' ').map(Number);
    process.kill(-group.pid!, 'SIGKILL');
    await new Promise((r) => group.once('exit', r));
    const live = spawn('sleep', ['30']);
    const stale = children.map((pid) => `s1_fold-1_tree.json.${pid}.0123abcd.tmp`);
    const kept = `s1_fold-1_svm.json.${live.pid}.89abcdef.tmp`;
    for (const f of [...stale, kept]) writeFileSync(join(dir, f), '{');
    removeStaleTemporaries(dir);
    expect(readdirSync(dir)).toEqual([kept]);
    live.kill('SIGKILL');
  });
  it.skipIf(!SAMPLE)('a second run on a folder another live run holds is refused with its pid; a dead holder’s lock is taken over', async () => {
    const data = tessFolder(2);
    const out = join(mkdtempSync(join(tmpdir(), 'serbench-fault-')), 'run');
    const holder = spawn('sleep', ['30']);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, '.lock'), `${holder.pid}\n`);
    await expect(run(suiteText(data), out)).rejects.toThrow(`is in use by another serbench run (pid ${holder.pid})`);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.on('exit', r));
    const s = await run(suiteText(data), out);
    expect(s.completed).toHaveLength(1);
    expect(existsSync(join(out, '.lock'))).toBe(false);
    const release = lockRunFolder(out);
    expect(() => lockRunFolder(out)).not.toThrow(); // the same process may take it again
    release();
  });

  it.skipIf(!canMountTmpfs() || !SAMPLE)(
    'a full disk (a 16 KiB tmpfs): the write names the file and leaves no temporary; a run says which folder',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'serbench-fault-full-'));
      spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]);
      try {
        expect(() => writeAtomic(join(dir, 'results.json'), 'x'.repeat(64 * 1024))).toThrow(`cannot write ${join(dir, 'results.json')}: ENOSPC`);
        expect(readdirSync(dir)).toEqual([]);
        const cache = new FeatureCache(dir);
        expect(() => cache.put('ab'.repeat(32), { shape: [64, 100], data: new Float32Array(6400) })).toThrow(/cannot write feature cache entry .*: ENOSPC/);
        expect(readdirSync(join(dir, 'ab'))).toEqual([]);
        const data = tessFolder(2);
        await expect(run(suiteText(data), join(dir, 'run'))).rejects.toThrow(/ENOSPC/);
      } finally {
        spawnSync('umount', [dir]);
      }
    },
  );

  it('a write that fails names the file and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-fault-write-'));
    mkdirSync(join(dir, 'results.json')); // a folder where the file should go: rename fails
    expect(() => writeAtomic(join(dir, 'results.json'), '{}')).toThrow(`cannot write ${join(dir, 'results.json')}: EISDIR`);
    expect(readdirSync(dir)).toEqual(['results.json']);
  });

  it('an alias bomb and a syntax error: exit 2 naming the file (and the line)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-fault-yaml-'));
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    writeFileSync(join(dir, 'bomb.yaml'), `${lines.join('\n')}\nname: x\n`);
    const bomb = spawnSync(process.execPath, [cli, 'validate', join(dir, 'bomb.yaml')], { encoding: 'utf8', timeout: 30_000 });
    expect(bomb.status).toBe(2);
    expect(bomb.stderr).toContain(join(dir, 'bomb.yaml'));
    expect(bomb.stderr).toMatch(/alias/i);
    writeFileSync(join(dir, 'syntax.yaml'), 'name: x\nmodels: [\n  - {type: tree\n');
    const syntax = spawnSync(process.execPath, [cli, 'validate', join(dir, 'syntax.yaml')], { encoding: 'utf8' });
    expect(syntax.status).toBe(2);
    expect(syntax.stderr).toMatch(new RegExp(`${join(dir, 'syntax.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: \\(syntax\\)`));
  });

  it.skipIf(!SAMPLE)('every problem of a suite in one pass, model params included; out-of-bound numbers refused', () => {
    const data = tessFolder(2);
    const text = suiteText(data, '[{ type: cnn, params: { epochs: 1000000, nonsense: 1 } }, { type: tree, params: { max_depth: 0 } }]').replace(
      'bootstrap: 20',
      'bootstrap: 100000000',
    );
    let msg = '';
    try {
      parseSuite(text, join(data, 's.yaml'));
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/evaluation\.bootstrap: must be ≤ 100000/);
    expect(msg).toMatch(/models\[0\]\.params\.epochs: must be ≤ 10000/);
    expect(msg).toMatch(/models\[0\]\.params\.nonsense: unknown field/);
    expect(msg).toMatch(/models\[1\]\.params\.max_depth: must be ≥ 1/);
  });

  it.skipIf(!SAMPLE)('CLI arguments are checked before any work', () => {
    const data = tessFolder(2);
    const suite = join(data, 's.yaml');
    writeFileSync(suite, suiteText(data));
    for (const [args, message] of [
      [['--jobs', '0'], /--jobs takes a whole number from 1 to 256, got 0/],
      [['--jobs', '1.5'], /--jobs takes a whole number/],
      [['--shard', '3/2'], /--shard takes i\/n/],
    ] as const) {
      const r = spawnSync(process.execPath, [cli, 'run', suite, '--out', join(data, 'never'), ...args], { encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(data, 'never'))).toBe(false);
    }
    const synth = spawnSync(process.execPath, [cli, 'synth', '--out', join(data, 'never'), '--clips', '100000'], { encoding: 'utf8' });
    expect(synth.status).toBe(2);
    expect(synth.stderr).toMatch(/--clips takes a whole number from 1 to 1000, got 100000/);
    expect(existsSync(join(data, 'never'))).toBe(false);
  });
});

describe('model seeds', () => {
  it.skipIf(!SAMPLE)('model_seeds crosses every split seed with every model seed; the report keeps their spreads apart', async () => {
    const data = tessFolder(4);
    const out = join(mkdtempSync(join(tmpdir(), 'serbench-mseed-')), 'run');
    const text = suiteText(data, '[{ name: svm, type: svm }]').replace('seeds: [1]', 'seeds: [1, 2]\nmodel_seeds: [5, 6]');
    const s = await run(text, out);
    expect(s.completed.sort()).toEqual(['s1_m5_random_svm', 's1_m6_random_svm', 's2_m5_random_svm', 's2_m6_random_svm']);
    const r = resultsOf(out);
    expect(r.models[0].jobs.map((j) => [j.seed, j.modelSeed])).toEqual([
      [1, 5],
      [1, 6],
      [2, 5],
      [2, 6],
    ]);
    expect(r.models[0].evaluation.uar_spread).toMatchObject({ model_seeds: 2, splits: 2 });
  });
});

describe('folds are saved and can be reused', () => {
  it.skipIf(!SAMPLE)('a run on predefined folds written by another run reproduces its test sets exactly; bad fold files are refused by name', async () => {
    const data = tessFolder(6);
    const base = mkdtempSync(join(tmpdir(), 'serbench-folds-'));
    const first = join(base, 'first');
    await run(suiteText(data).replace('seeds: [1]', 'seeds: [1, 2]'), first);
    expect(readdirSync(join(first, 'folds')).sort()).toEqual(['1_random.json', '2_random.json']);
    const text = suiteText(data)
      .replace('seeds: [1]', 'seeds: [1, 2]')
      .replace(/split: \{[^}]*\}/, `split: { protocol: predefined, folds: ${JSON.stringify(join(first, 'folds'))} }`);
    const second = join(base, 'second');
    await run(text, second);
    for (const f of ['1_random.json', '2_random.json'])
      expect(JSON.parse(readFileSync(join(second, 'folds', f), 'utf8'))).toEqual(JSON.parse(readFileSync(join(first, 'folds', f), 'utf8')));
    const testIds = (dir: string, id: string) => JSON.parse(readFileSync(join(dir, 'jobs', `${id}.json`), 'utf8')).test.clips;
    for (const id of ['s1_random_tree', 's2_random_tree']) expect(testIds(second, id)).toEqual(testIds(first, id));
    // A fold naming a clip the data does not hold is refused, naming the file.
    const bad = join(base, 'bad.json');
    writeFileSync(bad, JSON.stringify({ fold: 'x', train: ['tess/OAF_nothing_angry'], test: [] }));
    await expect(run(text.replace(JSON.stringify(join(first, 'folds')), JSON.stringify(bad)), join(base, 'third'))).rejects.toThrow(
      `${bad}: "train" names clip tess/OAF_nothing_angry, which is not in the suite's data`,
    );
  });
});
