/**
 * CART decision tree (Gini or entropy) with sorted-feature split search: every feature is
 * sorted once, and each node owns a contiguous segment of each sorted order that is stably
 * partitioned when the node splits — O(n·d) per level, no re-sorting.
 * Leaves store their (weighted) class distribution: that is predictProba.
 */
import type { Classifier, FitOptions, FitReport, SerializedModel } from './classifier.ts';
import { balancedWeights, checkProbabilities } from './classifier.ts';
import { allSamples, sampleSize, type Batch } from '../core/batch.ts';
import type { TreeParams } from './params.ts';
import { Rng } from '../core/random.ts';

/** Flat node arrays: feature < 0 marks a leaf. */
interface TreeNodes {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Leaf class distributions (k per node; zeros for internal nodes). */
  value: number[];
}

export class DecisionTree implements Classifier {
  readonly family = 'tree';
  private nodes: TreeNodes = { feature: [], threshold: [], left: [], right: [], value: [] };
  featureImportances: Float64Array = new Float64Array(0);
  private d = 0;

  constructor(
    readonly k: number,
    readonly params: TreeParams,
  ) {}

  async fit(train: Batch, _val: Batch | undefined, opts: FitOptions): Promise<FitReport> {
    const t0 = performance.now();
    const n = train.n;
    const x = allSamples(train);
    const y = train.y!;
    const d = (this.d = sampleSize(train));
    const k = this.k;
    const cw = this.params.class_weights ? balancedWeights(y, k) : new Float64Array(k).fill(1);
    const w = Float64Array.from(y, (c) => cw[c]);
    const impurity = this.params.criterion === 'gini' ? gini : entropy;

    // Column-major copy for cache-friendly sweeps, and one sorted order per feature.
    const col = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) col[f * n + i] = x[i * d + f];
    const order = new Int32Array(n * d);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let f = 0; f < d; f++) {
      const base = f * n;
      idx.sort((a, b) => col[base + a] - col[base + b] || a - b);
      for (let i = 0; i < n; i++) order[base + i] = idx[i];
    }
    const goesLeft = new Uint8Array(n);
    const scratch = new Int32Array(n);
    const importances = new Float64Array(d);
    const rng = new Rng(`tree:${opts.seed}`);
    const featureOrder = Array.from({ length: d }, (_, f) => f);
    const nodes = (this.nodes = { feature: [], threshold: [], left: [], right: [], value: [] } as TreeNodes);
    let totalWeight = 0;
    for (const v of w) totalWeight += v;

    const leftCounts = new Float64Array(k);
    const rightCounts = new Float64Array(k);
    const build = (start: number, end: number, depth: number): number => {
      const id = nodes.feature.length;
      const counts = new Float64Array(k);
      let wn = 0;
      for (let p = start; p < end; p++) {
        const i = order[p]; // any feature's segment holds the node's samples
        counts[y[i]] += w[i];
        wn += w[i];
      }
      nodes.feature.push(-1);
      nodes.threshold.push(0);
      nodes.left.push(-1);
      nodes.right.push(-1);
      for (let c = 0; c < k; c++) nodes.value.push(wn > 0 ? counts[c] / wn : 1 / k);
      const size = end - start;
      const nodeImp = impurity(counts, wn);
      if (depth >= this.params.max_depth || size < this.params.min_samples_split || size < 2 * this.params.min_samples_leaf || nodeImp <= 1e-12) return id;

      let bestGain = 1e-12,
        bestF = -1,
        bestThr = 0;
      rng.shuffle(featureOrder); // ties between features are broken at random, as scikit-learn does
      const minLeaf = this.params.min_samples_leaf;
      for (const f of featureOrder) {
        const base = f * n;
        leftCounts.fill(0);
        rightCounts.set(counts);
        let wl = 0;
        for (let p = start; p < end - 1; p++) {
          const i = order[base + p];
          leftCounts[y[i]] += w[i];
          rightCounts[y[i]] -= w[i];
          wl += w[i];
          const nl = p - start + 1;
          if (nl < minLeaf || end - start - nl < minLeaf) continue;
          const v = col[base + i];
          const vNext = col[base + order[base + p + 1]];
          if (vNext <= v) continue; // can only split between distinct values
          const wr = wn - wl;
          const gain = nodeImp - (wl / wn) * impurity(leftCounts, wl) - (wr / wn) * impurity(rightCounts, wr);
          if (gain > bestGain) {
            bestGain = gain;
            bestF = f;
            bestThr = v / 2 + vNext / 2;
            if (bestThr >= vNext) bestThr = v; // midpoint rounding: keep v ≤ thr < vNext
          }
        }
      }
      if (bestF < 0) return id;
      importances[bestF] += (wn / totalWeight) * bestGain;
      // Mark sides, then stably partition every feature's segment.
      const bb = bestF * n;
      let nLeft = 0;
      for (let p = start; p < end; p++) {
        const i = order[bb + p];
        const l = col[bb + i] <= bestThr;
        goesLeft[i] = l ? 1 : 0;
        if (l) nLeft++;
      }
      for (let f = 0; f < d; f++) {
        const base = f * n;
        let a = start,
          b = 0;
        for (let p = start; p < end; p++) {
          const i = order[base + p];
          if (goesLeft[i]) order[base + a++] = i;
          else scratch[b++] = i;
        }
        order.set(scratch.subarray(0, b), base + a);
      }
      nodes.feature[id] = bestF;
      nodes.threshold[id] = bestThr;
      for (let c = 0; c < k; c++) nodes.value[id * k + c] = 0;
      nodes.left[id] = build(start, start + nLeft, depth + 1);
      nodes.right[id] = build(start + nLeft, end, depth + 1);
      return id;
    };
    build(0, n, 0);
    const total = importances.reduce((a, b) => a + b, 0);
    this.featureImportances = importances.map((v) => (total > 0 ? v / total : 0));
    const leaves = nodes.feature.filter((f) => f < 0).length;
    return {
      seconds: (performance.now() - t0) / 1000,
      parameters: nodes.feature.length,
      notes: [`${nodes.feature.length} nodes, ${leaves} leaves, depth ≤ ${this.params.max_depth}`],
    };
  }

  async predictProba(b: Batch): Promise<Float32Array> {
    const { k, nodes, d } = this;
    if (sampleSize(b) !== d) throw new Error(`tree: trained on ${d} features, got ${sampleSize(b)}`);
    const out = new Float32Array(b.n * k);
    const x = allSamples(b);
    for (let i = 0; i < b.n; i++) {
      let node = 0;
      while (nodes.feature[node] >= 0) node = x[i * d + nodes.feature[node]] <= nodes.threshold[node] ? nodes.left[node] : nodes.right[node];
      for (let c = 0; c < k; c++) out[i * k + c] = nodes.value[node * k + c];
    }
    return checkProbabilities(out, b.n, k, 'tree');
  }

  async toJSON(): Promise<SerializedModel> {
    return { family: 'tree', k: this.k, params: this.params, d: this.d, nodes: this.nodes, featureImportances: Array.from(this.featureImportances) };
  }

  static fromJSON(j: SerializedModel): DecisionTree {
    const t = new DecisionTree(j.k, j.params as TreeParams);
    t.nodes = j.nodes as TreeNodes;
    t.d = j.d as number;
    t.featureImportances = Float64Array.from(j.featureImportances as number[]);
    return t;
  }
}

function gini(counts: Float64Array, total: number): number {
  if (total <= 0) return 0;
  let s = 0;
  for (const c of counts) s += (c / total) ** 2;
  return 1 - s;
}

function entropy(counts: Float64Array, total: number): number {
  if (total <= 0) return 0;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / total) * Math.log2(c / total);
  return h;
}
