/**
 * The layering the design promises, checked on the sources:
 * - core/ imports nothing of ours;
 * - datasets/ and models/ never import harness/ or reports/;
 * - reports/ takes only types from harness/ (decisions are made in harness/stats/);
 * - harness/stats/ imports nothing above itself: values from core/ and itself, types also from the
 *   layers below harness/ (datasets/, models/);
 * - no module imports itself back through others (static imports, type-only ones included; lazy
 *   `await import()` of an implementation is how families load).
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');

interface Edge {
  to: string;
  typeOnly: boolean;
}

function graph(): Map<string, Edge[]> {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) {
        if (e !== 'kernels') walk(p);
      } else if (p.endsWith('.ts')) files.push(p);
    }
  };
  for (const d of ['core', 'harness', 'datasets', 'models', 'reports']) walk(join(root, d));
  const g = new Map<string, Edge[]>();
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    const at = (s: string) => relative(root, resolve(dirname(f), s));
    const staticImports = [...src.matchAll(/^(import|export)(\s+type)?\s[^;]*?from\s+'(\.[^']+)'/gms)].map((m) => ({ to: at(m[3]), typeOnly: !!m[2] }));
    const typeQueries = [...src.matchAll(/import\('(\.[^']+)'\)\.[A-Z]/g)].map((m) => ({ to: at(m[1]), typeOnly: true }));
    g.set(relative(root, f), [...staticImports, ...typeQueries]);
  }
  return g;
}

const violations = (g: Map<string, Edge[]>, from: RegExp, bad: (e: Edge) => boolean) =>
  [...g].flatMap(([f, deps]) => (from.test(f) ? deps.filter(bad).map((d) => `${f} → ${d.to}${d.typeOnly ? ' (type)' : ''}`) : []));

describe('architecture', () => {
  const g = graph();
  it('reads the sources it checks', () => {
    expect(g.get('harness/run/run.ts')?.map((e) => e.to)).toContain('harness/suite.ts');
    expect(g.size).toBeGreaterThan(50);
  });

  it('core/ imports nothing of ours', () => {
    expect(violations(g, /^core\//, (e) => !e.to.startsWith('core/'))).toEqual([]);
  });

  it('datasets/ and models/ import nothing from harness/ or reports/', () => {
    expect(violations(g, /^(datasets|models)\//, (e) => /^(harness|reports)\//.test(e.to))).toEqual([]);
  });

  it('reports/ takes only types from harness/', () => {
    expect(violations(g, /^reports\//, (e) => e.to.startsWith('harness/') && !e.typeOnly)).toEqual([]);
  });

  it('harness/stats/ imports nothing above itself', () => {
    expect(violations(g, /^harness\/stats\//, (e) => !/^(core|harness\/stats)\//.test(e.to) && !(/^(datasets|models)\//.test(e.to) && e.typeOnly))).toEqual([]);
  });

  it('no function in harness/ or reports/ is longer than 80 lines (the benchmarks aside)', async () => {
    const ts = (await import('typescript')).default;
    const long: string[] = [];
    for (const f of [...g.keys()].filter((x) => /^(harness|reports)\//.test(x) && !x.startsWith('harness/bench/'))) {
      const sf = ts.createSourceFile(f, readFileSync(join(root, f), 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: import('typescript').Node) => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const lines = sf.getLineAndCharacterOfPosition(node.getEnd()).line - sf.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          if (lines > 80) long.push(`${f}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1} (${lines} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
    expect(long).toEqual([]);
  });

  it('the import graph has no cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const visit = (n: string) => {
      state.set(n, 1);
      stack.push(n);
      for (const { to: m } of g.get(n) ?? []) {
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
    const { runSuite } = await import('../harness/run/run.ts');
    const { report } = await import('../harness/cli/report.ts');
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
