/**
 * The layering the design promises, checked on the sources: datasets/ and models/ never import
 * harness/ or reports/, and no module imports itself back through others (static imports,
 * type-only ones included; lazy `await import()` of an implementation is how families load).
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');

function graph(): Map<string, string[]> {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) {
        if (e !== 'kernels') walk(p);
      } else if (p.endsWith('.ts')) files.push(p);
    }
  };
  for (const d of ['harness', 'datasets', 'models', 'reports']) walk(join(root, d));
  const g = new Map<string, string[]>();
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    const staticImports = [...src.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].map((m) => m[1]);
    const typeQueries = [...src.matchAll(/import\('(\.[^']+)'\)\.[A-Z]/g)].map((m) => m[1]);
    g.set(
      relative(root, f),
      [...staticImports, ...typeQueries].map((s) => relative(root, resolve(dirname(f), s))),
    );
  }
  return g;
}

describe('architecture', () => {
  const g = graph();
  it('reads the sources it checks', () => {
    expect(g.get('harness/run.ts')).toContain('harness/suite.ts');
    expect(g.size).toBeGreaterThan(50);
  });

  it('datasets/ and models/ import nothing from harness/ or reports/', () => {
    const bad = [...g].flatMap(([f, deps]) =>
      /^(datasets|models)\//.test(f) ? deps.filter((d) => /^(harness|reports)\//.test(d)).map((d) => `${f} → ${d}`) : [],
    );
    expect(bad).toEqual([]);
  });

  it('the import graph has no cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const visit = (n: string) => {
      state.set(n, 1);
      stack.push(n);
      for (const m of g.get(n) ?? []) {
        if (!g.has(m)) continue;
        if (state.get(m) === 1) cycles.push([...stack.slice(stack.indexOf(m)), m].join(' → '));
        else if (!state.has(m)) visit(m);
      }
      stack.pop();
      state.set(n, 2);
    };
    for (const f of g.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});

describe('moving files changes no result', () => {
  it('a small run gives the predictions committed before the harness/ layout move (SVM and tree byte for byte, the CNN to float rounding)', async () => {
    const { mkdtempSync, readFileSync: read } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { loadSuite } = await import('../harness/suite.ts');
    const { runSuite } = await import('../harness/run.ts');
    const { report } = await import('../harness/report.ts');
    const out = mkdtempSync(join(tmpdir(), 'serbench-unchanged-'));
    const summary = await runSuite(loadSuite(join(root, 'tests', 'fixtures', 'unchanged-suite.yaml')), {
      out,
      cacheDir: null,
      quiet: true,
      jobs: 1,
      processes: 1,
    });
    expect(summary.failed).toEqual([]);
    await report(out);
    // SVM and tree rows: byte for byte. The CNN's rows were made on the wasm backend (on another,
    // tfjs-node, they are left out): the same labels and columns, and probabilities equal to float
    // rounding (1e-5), since a training kernel that sums in another order (the filter gradient's,
    // since the #12 kernels) changes the last bits of a float32 weight. The CNN rows were made
    // again when dropout masks became per sample (#12, training on several threads): the same
    // 48 predicted labels, probabilities changed in the third decimal.
    const { tensorBackend } = await import('../models/backend.ts');
    const wasm = (await tensorBackend()) === 'wasm';
    const lines = (f: string) =>
      read(f, 'utf8')
        .split('\n')
        .filter((l) => wasm || !l.startsWith('cnn,'));
    const [got, want] = [lines(join(out, 'predictions.csv')), lines(join(root, 'tests', 'fixtures', 'unchanged-predictions.csv'))];
    expect(got.length).toBe(want.length);
    const header = want[0].split(',');
    want.forEach((w, i) => {
      if (!w.startsWith('cnn,')) return expect(got[i], `row ${i}`).toBe(w);
      const [g, e] = [got[i].split(','), w.split(',')];
      header.forEach((col, j) => {
        if (col === 'confidence' || col.startsWith('p_')) expect(Math.abs(Number(g[j]) - Number(e[j])), `row ${i} ${col}`).toBeLessThan(1e-5);
        else expect(g[j], `row ${i} ${col}`).toBe(e[j]);
      });
    });
  }, 120_000);
});
