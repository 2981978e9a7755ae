import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DecisionTree } from '../models/tree.ts';
import type { Batch } from '../core/batch.ts';

const here = dirname(fileURLToPath(import.meta.url));
const ref = JSON.parse(readFileSync(join(here, 'fixtures/tree-reference.json'), 'utf8'));
const raw = readFileSync(join(here, 'fixtures/tree-data.f32'));
const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
const d: number = ref.d;
const train: Batch = { n: ref.n_train, sampleShape: [d], x: all.subarray(0, ref.n_train * d), y: Int32Array.from(ref.y_train) };
const test: Batch = { n: ref.n_test, sampleShape: [d], x: all.subarray(ref.n_train * d), y: Int32Array.from(ref.y_test) };

async function accuracy(t: DecisionTree): Promise<number> {
  const p = await t.predictProba(test);
  let c = 0;
  for (let i = 0; i < test.n; i++) {
    let best = 0;
    for (let j = 1; j < ref.k; j++) if (p[i * ref.k + j] > p[i * ref.k + best]) best = j;
    if (best === test.y![i]) c++;
  }
  return c / test.n;
}

describe('CART tree against scikit-learn 1.2.1 on a fixed dataset', () => {
  it.each(ref.cases as any[])('$criterion, max_depth $max_depth, min_samples_leaf $min_samples_leaf: mean accuracy over 5 seeds within a point', async (c) => {
    const accs: number[] = [];
    for (let seed = 0; seed < 5; seed++) {
      const t = new DecisionTree(ref.k, {
        criterion: c.criterion,
        max_depth: c.max_depth,
        min_samples_leaf: c.min_samples_leaf,
        min_samples_split: 2,
        class_weights: false,
      });
      await t.fit(train, undefined, { seed });
      accs.push(await accuracy(t));
    }
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    expect(Math.abs(mean - c.accuracy_mean)).toBeLessThanOrEqual(0.01);
  });

  it('gives leaf distributions as probabilities and importances that sum to 1', async () => {
    const t = new DecisionTree(ref.k, { criterion: 'gini', max_depth: 8, min_samples_leaf: 3, min_samples_split: 6, class_weights: true });
    await t.fit(train, undefined, { seed: 3 });
    const p = await t.predictProba(test);
    for (let i = 0; i < test.n; i++) {
      const row = Array.from(p.subarray(i * ref.k, (i + 1) * ref.k));
      expect(row.every((v) => v >= 0)).toBe(true);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    }
    expect(Math.abs(t.featureImportances.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
    // The 12 informative features carry most of the importance.
    expect(t.featureImportances.slice(0, 16).reduce((a, b) => a + b, 0)).toBeGreaterThan(0.6);
  });
});
