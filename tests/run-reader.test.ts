/**
 * One way through a run: `report` reads each file of a run folder once, opens no WAV but those
 * whose spectrograms it draws, and gives the same bytes when it is run again; a metric added to
 * the metric table is one entry and reaches results.json, the tables and the site.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fs, { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseSuite } from '../harness/suite.ts';
import { runSuite } from '../harness/run/run.ts';
import { reportRun } from '../harness/cli/report.ts';
import { writeSyntheticCorpus } from '../harness/cli/synth.ts';
import { registerMetric } from '../harness/stats/metric-table.ts';
import { readRun } from '../harness/run-folder/read-run.ts';
import { buildTable, formatTable } from '../harness/api.ts';
import type { Results } from '../harness/stats/evaluate-run.ts';

let out = '';
let corpus = '';

/** A run over WAV files on disk (a manifest of the synthetic corpus written out), so that report could open clips. */
beforeAll(async () => {
  corpus = mkdtempSync(join(tmpdir(), 'serbench-reader-corpus-'));
  await writeSyntheticCorpus(corpus, { speakers: 3, clips: 2, seed: 3 });
  // Its metadata.csv is a manifest (file_name, label, speaker, gender, condition); labels outside the set are dropped.
  out = join(mkdtempSync(join(tmpdir(), 'serbench-reader-')), 'run');
  const yaml = `name: reader
seeds: [1]
datasets: [{ corpus: manifest, path: ${JSON.stringify(join(corpus, 'metadata.csv'))}, name: synth }]
labels: { set: [neutral, happy, sad, angry] }
split: { protocol: speaker-independent, test_fraction: 0.34, val_fraction: 0.2 }
features: { duration: 1.0, n_mels: 24, n_mfcc: 13, hop_length: 512 }
models: [{ name: svm, type: svm }, { name: tree, type: tree, params: { max_depth: 4 } }]
evaluation: { bootstrap: 40, slices: [speaker, gender, condition], min_slice: 5 }
`;
  const summary = await runSuite(parseSuite(yaml, join(out, '..', 'suite.yaml')), { out, cacheDir: null, quiet: true, jobs: 1 });
  expect(summary.failed).toEqual([]);
}, 120_000);

/** Every file under dir, with its bytes. */
function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else m.set(relative(dir, p), readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return m;
}

describe('report: one reader of a run folder', () => {
  it('reads each run file once, and opens no WAV but those of the error spectrograms it draws', async () => {
    const reads = new Map<string, number>();
    const count = (p: unknown) => {
      if (typeof p === 'string') reads.set(resolve(p), (reads.get(resolve(p)) ?? 0) + 1);
    };
    const original = { readFileSync: fs.readFileSync, openSync: fs.openSync };
    fs.readFileSync = ((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => (
      count(p),
      (original.readFileSync as (...a: unknown[]) => unknown)(p, ...rest)
    )) as typeof fs.readFileSync;
    fs.openSync = ((p: fs.PathLike, ...rest: unknown[]) => (count(p), (original.openSync as (...a: unknown[]) => unknown)(p, ...rest))) as typeof fs.openSync;
    syncBuiltinESMExports();
    let results: Results;
    try {
      results = (await reportRun(out, { created: '2026-01-01T00:00:00.000Z' })).results;
    } finally {
      Object.assign(fs, original);
      syncBuiltinESMExports();
    }
    const inRun = [...reads].filter(([p]) => p.startsWith(resolve(out)) && !p.startsWith(join(resolve(out), 'site')));
    expect(inRun.length).toBeGreaterThan(5); // suite, plan, data, examples, jobs, shards…
    expect(inRun.filter(([, n]) => n > 1)).toEqual([]);
    const wavs = [...reads.keys()].filter((p) => p.endsWith('.wav'));
    const drawn = new Set(results!.models.flatMap((m) => m.evaluation.overconfidence.confident_errors.slice(0, 3).map((e) => e.clip)));
    expect(drawn.size).toBeGreaterThan(0);
    const data = readRun(out).data();
    expect(wavs.sort()).toEqual(
      data.clips
        .filter((c) => drawn.has(c.id))
        .map((c) => resolve(c.path!))
        .sort(),
    );
    expect(wavs.length).toBeLessThan(data.clips.length);
  }, 120_000);

  it('gives byte-identical results, tables and site when run again', async () => {
    const created = '2026-01-01T00:00:00.000Z';
    await reportRun(out, { created });
    const first = snapshot(out);
    await reportRun(out, { created });
    const second = snapshot(out);
    expect([...second.keys()].sort()).toEqual([...first.keys()].sort());
    for (const [f, bytes] of first) if (!f.endsWith('run.log')) expect(second.get(f), f).toBe(bytes);
  }, 120_000);
});

describe('the metric table', () => {
  it('a metric registered as one entry reaches results.json (headline, per job, slices), the tables and the site', async () => {
    registerMetric({
      key: 'top2',
      label: 'top-2 accuracy',
      direction: 'higher',
      // The share of rows whose true class is among the two most probable.
      value: (f, rows) => {
        let hits = 0;
        for (const i of rows) {
          const p = f.probs.subarray(i * f.k, (i + 1) * f.k);
          const above = p.filter((v) => v > p[f.y[i]]).length;
          if (above < 2) hits++;
        }
        return rows.length ? hits / rows.length : 0;
      },
      interval: { kind: 'bootstrap', tag: 'top2' },
      ranks: true,
      perJob: true,
      slices: 'value',
      format: 'percent',
      order: 5,
    });
    const { results, site } = await reportRun(out, { created: '2026-01-01T00:00:00.000Z' });
    const onDisk = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    for (const r of [results, onDisk]) {
      const e = r.models[0].evaluation;
      expect(e.headline.top2).toMatchObject({ method: 'bootstrap' });
      expect(e.headline.top2.estimate).toBeGreaterThanOrEqual(e.headline.accuracy.estimate);
      expect(e.per_job[0].top2).toBeTypeOf('number');
      expect(e.over_jobs.top2.n).toBe(1);
      expect(e.slices[0].groups[0].top2).toBeTypeOf('number');
    }
    const lb = buildTable(results, 'leaderboard');
    expect(lb.header).toContain('top-2 accuracy');
    expect(formatTable(lb, 'csv').split('\n')[0]).toContain('top-2 accuracy');
    expect(readFileSync(join(out, 'slices', 'svm__speaker.csv'), 'utf8').split('\n')[0]).toContain('top2');
    const index = readFileSync(join(site, 'index.html'), 'utf8');
    expect(index).toContain('<th>top-2 accuracy</th>');
    expect(readFileSync(join(site, 'models', 'svm.html'), 'utf8')).toContain('<div class="k">top-2 accuracy</div>');
    expect(readFileSync(join(site, 'fairness.html'), 'utf8')).toContain('<th>top-2 accuracy</th>');
    // It ranks: a suite may name it in rank_by.
    const suite = parseSuite(
      readFileSync(join(out, 'suite.yaml'), 'utf8').replace('min_slice: 5 }', 'min_slice: 5, rank_by: top2 }'),
      join(out, '..', 'suite.yaml'),
      {
        checkPaths: false,
      },
    );
    expect(suite.evaluation.rank_by).toBe('top2');
  }, 120_000);
});
