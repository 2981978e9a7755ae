/**
 * The library API as a user imports it: `import { … } from 'serbench'` resolves through
 * package.json's exports to the compiled dist/ (built by npm ci, npm start and npm test).
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

describe("import from 'serbench'", () => {
  it('the compiled dist/ trains networks on the wasm backend with our kernels (every kernel build copied)', () => {
    const wasm = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.wasm'));
    expect(wasm('dist/build').sort()).toEqual(wasm('build').sort());
    // The backend a job process of `serbench run` gets (a missing kernel file once sent it to the cpu backend).
    const script = `import { tensorBackend } from '${join(root, 'dist/models/backend.js')}'; console.log(await tensorBackend());`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('wasm');
    expect(r.stderr).not.toContain('slow cpu tensor backend');
  }, 60_000);

  it('runs a suite, loads the run folder typed, and prints a table', () => {
    const out = mkdtempSync(join(tmpdir(), 'serbench-api-'));
    const script = `
      import { loadSuite, runSuite, report, loadRun, buildTable, formatTable, MODEL_TYPES } from 'serbench';
      const suite = loadSuite('examples/own-model.yaml');
      const summary = await runSuite({ ...suite, models: suite.models.filter((m) => m.type !== 'svm') }, { out: ${JSON.stringify(out)}, cacheDir: null, quiet: true, jobs: 1, processes: 1 });
      await report(${JSON.stringify(out)});
      const run = await loadRun(${JSON.stringify(out)});
      console.log(JSON.stringify({ completed: summary.completed.length, models: run.results.models.map((m) => m.name), jobs: run.jobs.length, clips: run.data.clips.length, types: MODEL_TYPES }));
      console.log(formatTable(buildTable(run.results, 'leaderboard'), 'csv').split('\\n')[0]);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [json, header] = r.stdout.trim().split('\n');
    const got = JSON.parse(json);
    expect(got).toMatchObject({
      completed: 2,
      models: ['centroid', 'tree'],
      jobs: 2,
      types: ['cnn', 'vit', 'mlp', 'svm', 'tree', 'predictions', 'onnx', 'ensemble', 'module'],
    });
    expect(got.clips).toBeGreaterThan(0);
    // Intervals as numeric columns (value, low, high, n, method) for analysis.
    expect(header.split(',').slice(0, 8)).toEqual(['#', 'model', 'n', 'UAR', 'UAR low', 'UAR high', 'UAR n', 'UAR method']);
    expect(header.split(',').at(-1)).toBe('≈ best');
  }, 120_000);
});
