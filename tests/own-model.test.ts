/**
 * A model of one's own, as a user brings it: examples/nearest-centroid.ts through
 * examples/own-model.yaml, next to the SVM and the tree; modules that break the contract are
 * named with what is wrong.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuite, parseSuite } from '../harness/suite.ts';
import { runSuite } from '../harness/run/run.ts';
import { report } from '../harness/cli/report.ts';
import type { Results } from '../harness/stats/evaluate-run.ts';
import { createClassifier, loadClassifier, MODEL_TYPES } from '../models/registry.ts';

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'own-model.yaml');

describe('bring your own model', () => {
  it('examples/own-model.yaml runs the nearest-centroid module beside SVM and tree, and the report ranks all three', async () => {
    const suite = loadSuite(EXAMPLE);
    expect(suite.models.find((m) => m.name === 'centroid')).toMatchObject({
      type: 'module',
      module: join(import.meta.dirname, '..', 'examples', 'nearest-centroid.ts'),
    });
    const out = mkdtempSync(join(tmpdir(), 'serbench-own-'));
    const summary = await runSuite(suite, { out, cacheDir: null, quiet: true, processes: 2, jobs: 2 });
    expect(summary.failed).toEqual([]);
    // Two processes took the jobs from one queue: each job ran exactly once, and the claims folder is gone.
    expect(summary.completed.length).toBe(3);
    expect(new Set(summary.completed).size).toBe(3);
    expect(readdirSync(join(out, 'shards')).filter((f) => /-worker-[01]\.json$/.test(f))).toHaveLength(2);
    expect(readdirSync(out).filter((f) => f.startsWith('.queue-'))).toEqual([]);
    await report(out);
    const r: Results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(r.models.map((m) => m.name).sort()).toEqual(['centroid', 'svm', 'tree']);
    const centroid = r.models.find((m) => m.name === 'centroid')!;
    expect(centroid.family).toBe('module');
    expect(centroid.evaluation.headline.uar.estimate).toBeGreaterThan(1 / 4); // better than chance on 4 classes
    expect(readFileSync(join(out, 'site', 'index.html'), 'utf8')).toContain('centroid');
  }, 120_000);

  it('a saved model of a module loads back and predicts the same', async () => {
    const suite = loadSuite(EXAMPLE);
    const spec = suite.models.find((m) => m.name === 'centroid')!;
    const m = await createClassifier(spec, 2);
    const x = Float32Array.from([0, 0, 0.1, 0.2, 5, 5, 5.2, 4.9]);
    const train = { n: 4, sampleShape: [2], x, y: Int32Array.from([0, 0, 1, 1]) };
    await m.fit(train, undefined, { seed: 1 });
    const again = await loadClassifier(JSON.parse(JSON.stringify(await m.toJSON())));
    expect(await again.predictProba(train)).toEqual(await m.predictProba(train));
  });

  it('a module that breaks the contract, or is missing, is named with what is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-own-bad-'));
    writeFileSync(
      join(dir, 'half.mjs'),
      'export default class Half { constructor(k) { this.k = k; } async fit() { return { seconds: 0, parameters: 0, notes: [] }; } }\n',
    );
    writeFileSync(join(dir, 'nothing.mjs'), 'export const x = 1;\n');
    await expect(createClassifier({ type: 'module', params: {}, module: join(dir, 'half.mjs') }, 3)).rejects.toThrow(
      `${join(dir, 'half.mjs')}: its model has no predictProba()`,
    );
    await expect(createClassifier({ type: 'module', params: {}, module: join(dir, 'nothing.mjs') }, 3)).rejects.toThrow(/exports no model class/);
    const text = (model: string) => `name: x\ndatasets: [{ corpus: synthetic }]\nmodels: [${model}]\n`;
    expect(() => parseSuite(text('{ type: module }'), join(dir, 's.yaml'))).toThrow(/models\[0\]\.module: type module needs module/);
    expect(() => parseSuite(text('{ type: module, module: ./absent.ts }'), join(dir, 's.yaml'))).toThrow(`${join(dir, 'absent.ts')} does not exist`);
    expect(() => parseSuite(text('{ type: svm, module: ./half.mjs }'), join(dir, 's.yaml'))).toThrow(/models\[0\]\.module: only for type: module/);
  });

  it('the model families are one table: every family has a schema, defaults, features and loaders', () => {
    expect(MODEL_TYPES).toEqual(['cnn', 'vit', 'mlp', 'svm', 'tree', 'predictions', 'onnx', 'ensemble', 'module']);
  });
});
