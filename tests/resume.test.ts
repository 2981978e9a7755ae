/**
 * Kill a real run with SIGKILL part-way, run the same command again, and get the results an
 * uninterrupted run gives; run it as two shards and merge them, and get them again.
 */
import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockRunFolder } from '../harness/run-folder/folder.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'serbench.js');
const SUITE = `
name: resume
seeds: [1, 2]
datasets: [{ corpus: synthetic, synthetic: { speakers_per_corpus: 4, clips_per_emotion: 3, conditions: 2 } }]
labels: { set: [happy, sad, angry] }
split: { protocol: group-kfold, folds: 2, val_fraction: 0.2 }
augment: { copies: 1, ops: [{ type: noise, snr_db: [10, 20] }] }
features: { duration: 1.5, n_mels: 24, n_mfcc: 13, hop_length: 512 }
models:
  - { name: cnn, type: cnn, params: { filters: [8], dense: 16, epochs: 4, patience: 4 } }
  - { name: svm, type: svm }
  - { name: tree, type: tree }
evaluation: { bootstrap: 100 }
`;

const run = (suite: string, out: string) => spawnSync(process.execPath, [cli, 'run', suite, '--out', out, '--no-cache', '--quiet'], { encoding: 'utf8' });

/** What must not change between runs: everything but clocks and cache counters. */
function stable(resultsFile: string): unknown {
  return JSON.parse(readFileSync(resultsFile, 'utf8'), (key, value) =>
    ['created', 'seconds', 'history', 'features_and_training', 'cache', 'wall_seconds'].includes(key) ? undefined : value,
  );
}

describe('resume after SIGKILL', () => {
  it('finishes the rest and gives the results of an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-resume-'));
    const suite = join(dir, 'suite.yaml');
    writeFileSync(suite, SUITE);
    const whole = join(dir, 'whole');
    expect(run(suite, whole).status).toBe(0);
    // Job processes (--jobs defaults to the cores) read features the parent extracted: its
    // record counts those misses, so results.json says what was computed.
    expect(readdirSync(join(whole, 'shards'))).toContain('features.json');
    expect(JSON.parse(readFileSync(join(whole, 'results.json'), 'utf8')).cache.misses).toBeGreaterThan(0);

    const killed = join(dir, 'killed');
    // Its own process group, killed whole as Ctrl-C or a cluster scheduler would: the run and its job workers.
    const child = spawn(process.execPath, [cli, 'run', suite, '--out', killed, '--no-cache', '--quiet'], { stdio: 'ignore', detached: true });
    const killRun = () => process.kill(-child.pid!, 'SIGKILL');
    // Kill once the first job is written: the next one is then mid-flight.
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        const jobs = existsSync(join(killed, 'jobs')) ? readdirSync(join(killed, 'jobs')).filter((f) => f.endsWith('.json')) : [];
        if (jobs.length >= 1) {
          clearInterval(poll);
          killRun();
          resolve();
        } else if (Date.now() - t0 > 120_000) {
          clearInterval(poll);
          killRun();
          reject(new Error('no job finished within 2 minutes'));
        }
      }, 50);
    });
    await new Promise((r) => child.once('exit', r));
    const done = readdirSync(join(killed, 'jobs')).filter((f) => f.endsWith('.json'));
    expect(done.length).toBeLessThan(12); // 2 seeds × 2 folds × 3 models, interrupted
    expect(existsSync(join(killed, 'results.json'))).toBe(false);
    // No half-written result survives a kill: every job file parses (a write cut short leaves
    // only its temporary file, which the resumed run removes).
    for (const f of readdirSync(join(killed, 'jobs')).filter((x) => x.endsWith('.json')))
      expect(() => JSON.parse(readFileSync(join(killed, 'jobs', f), 'utf8')), f).not.toThrow();

    const again = run(suite, killed);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`${12 - done.length} job\\(s\\) trained, ${done.length} already done, 0 failed`));
    expect(stable(join(killed, 'results.json'))).toEqual(stable(join(whole, 'results.json')));
    expect(readFileSync(join(killed, 'predictions.csv'), 'utf8')).toBe(readFileSync(join(whole, 'predictions.csv'), 'utf8'));
    expect(readdirSync(join(killed, 'jobs')).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // Shards: two halves run apart and merged give the same results too.
    for (const i of [0, 1]) {
      const r = spawnSync(process.execPath, [cli, 'run', suite, '--out', join(dir, `part${i}`), '--no-cache', '--quiet', '--shard', `${i}/2`], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/6 job\(s\) trained/);
    }
    const merged = spawnSync(process.execPath, [cli, 'merge', join(dir, 'merged'), join(dir, 'part0'), join(dir, 'part1')], { encoding: 'utf8' });
    expect(merged.status, merged.stderr).toBe(0);
    expect(stable(join(dir, 'merged', 'results.json'))).toEqual(stable(join(whole, 'results.json')));

    // A shard of another suite is refused.
    writeFileSync(join(dir, 'other.yaml'), SUITE.replace('name: resume', 'name: other').replace('seeds: [1, 2]', 'seeds: [3]'));
    expect(
      spawnSync(process.execPath, [cli, 'run', join(dir, 'other.yaml'), '--out', join(dir, 'other'), '--no-cache', '--quiet', '--shard', '0/4'], {
        encoding: 'utf8',
      }).status,
    ).toBe(0);
    const refused = spawnSync(process.execPath, [cli, 'merge', join(dir, 'mixed'), join(dir, 'part0'), join(dir, 'other')], { encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refusing to merge different suites/);
  }, 600_000);
});

describe('a network killed mid-fit', () => {
  it('goes on from its last finished epoch and ends bit-identical to a fit never stopped (mixup on: its draws resume too); its checkpoint goes with the job file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-midfit-'));
    const suite = join(dir, 'suite.yaml');
    writeFileSync(
      suite,
      SUITE.replace('seeds: [1, 2]', 'seeds: [1]')
        .replace(
          'split: { protocol: group-kfold, folds: 2, val_fraction: 0.2 }',
          'split: { protocol: speaker-independent, test_fraction: 0.3, val_fraction: 0.2 }',
        )
        .replace('epochs: 4, patience: 4', 'epochs: 10, patience: 10, mixup: 0.4')
        .replace(/  - \{ name: svm.*\n  - \{ name: tree.*\n/, ''),
    );
    const cliArgs = (out: string) => [cli, 'run', suite, '--out', out, '--no-cache', '--quiet', '--jobs', '1'];
    const whole = join(dir, 'whole');
    expect(spawnSync(process.execPath, cliArgs(whole)).status).toBe(0);
    const killed = join(dir, 'killed');
    const child = spawn(process.execPath, cliArgs(killed), { stdio: 'ignore', detached: true });
    const checkpoint = join(killed, 'checkpoints', 's1_held-out-speakers_cnn.json');
    // Kill once a checkpoint of epoch 3 or later is on disk: the fit is then mid-way.
    let epoch = 0;
    for (const t0 = Date.now(); Date.now() - t0 < 120_000 && epoch < 3; await new Promise((r) => setTimeout(r, 30)))
      try {
        epoch = JSON.parse(readFileSync(checkpoint, 'utf8')).checkpoint.epoch;
      } catch {
        // not written yet
      }
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(epoch).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(killed, 'jobs', 's1_held-out-speakers_cnn.json'))).toBe(false);
    const again = spawnSync(process.execPath, cliArgs(killed), { encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    const job = (d: string) => JSON.parse(readFileSync(join(d, 'jobs', 's1_held-out-speakers_cnn.json'), 'utf8'));
    expect(job(killed).fit.resumedFrom).toBeGreaterThanOrEqual(3);
    expect(job(killed).test).toEqual(job(whole).test); // every probability, to the bit
    expect(job(killed).fit.history).toEqual(job(whole).fit.history);
    expect(readFileSync(join(killed, 'predictions.csv'), 'utf8')).toBe(readFileSync(join(whole, 'predictions.csv'), 'utf8'));
    expect(readdirSync(join(killed, 'checkpoints'))).toEqual([]);
  }, 300_000);
});

describe('the parent alone is killed', () => {
  it('its job workers exit at the next epoch without writing their unfinished job; its lock does not block the next run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-orphan-'));
    const suite = join(dir, 'suite.yaml');
    writeFileSync(suite, SUITE.replace('epochs: 4, patience: 4', 'epochs: 400, patience: 400').replace('seeds: [1, 2]', 'seeds: [1]'));
    const out = join(dir, 'run');
    const parent = spawn(process.execPath, [cli, 'run', suite, '--out', out, '--no-cache', '--quiet', '--jobs', '2'], { stdio: 'ignore' });
    const children = () =>
      spawnSync('pgrep', ['-P', String(parent.pid)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number);
    // Wait until two job workers are training (the parent forks them after extracting features).
    let workers: number[] = [];
    for (let t0 = Date.now(); Date.now() - t0 < 120_000 && workers.length < 2; await new Promise((r) => setTimeout(r, 100))) workers = children();
    expect(workers.length).toBe(2);
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(parent.pid!, 'SIGKILL');
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const t0 = Date.now();
    while (workers.some(alive) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
    expect(workers.filter(alive)).toEqual([]);
    // The CNN jobs (400 epochs) cannot have finished: no file of theirs exists, whole or partial.
    const files = existsSync(join(out, 'jobs')) ? readdirSync(join(out, 'jobs')) : [];
    expect(files.filter((f) => f.includes('cnn'))).toEqual([]);
    // The dead parent's lock is taken over by the next run.
    expect(readFileSync(join(out, '.lock'), 'utf8').trim()).toBe(String(parent.pid));
    lockRunFolder(out)();
    expect(existsSync(join(out, '.lock'))).toBe(false);
  }, 180_000);
});
