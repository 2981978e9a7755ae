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
  it('a small run gives the predictions committed before the harness/ layout move, byte for byte', async () => {
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
    // The CNN's rows were made on the wasm backend: on another (tfjs-node) only SVM and tree can match to the bit.
    const { tensorBackend } = await import('../models/backend.ts');
    const keep = (await tensorBackend()) === 'wasm' ? () => true : (line: string) => !line.startsWith('cnn,');
    const lines = (f: string) => read(f, 'utf8').split('\n').filter(keep);
    expect(lines(join(out, 'predictions.csv'))).toEqual(lines(join(root, 'tests', 'fixtures', 'unchanged-predictions.csv')));
  }, 120_000);
});
