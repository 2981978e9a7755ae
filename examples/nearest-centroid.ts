/**
 * A model of your own, put beside the baselines with one suite entry:
 *
 *   models:
 *     - { name: centroid, type: module, module: ./nearest-centroid.ts, features: summary, params: { sharpness: 2 } }
 *
 * The module's default export is a class implementing serbench's Classifier contract (see
 * models/classifier.ts): constructed as new Model(k, params); fit(train, val, opts) returns a
 * FitReport; predictProba(batch) returns n × k probabilities whose rows sum to 1; toJSON()
 * returns what a static fromJSON() needs to rebuild it.
 *
 * This one: standardize the features, then give each class the softmax of −sharpness × the
 * squared distance to its centroid (divided by the dimension). Simple, fast, and a fair baseline.
 */
import type { Classifier, FitOptions, FitReport, SerializedModel } from '../models/classifier.ts';
import { allSamples, type Batch } from '../core/batch.ts';

export default class NearestCentroid implements Classifier {
  readonly family = 'nearest-centroid';
  private centroids: Float64Array[] = [];
  private mean = new Float64Array(0);
  private scale = new Float64Array(0);

  constructor(
    readonly k: number,
    readonly params: { sharpness?: number } = {},
  ) {}

  async fit(train: Batch, _val: Batch | undefined, _opts: FitOptions): Promise<FitReport> {
    const t0 = performance.now();
    const x = allSamples(train);
    const d = x.length / train.n;
    this.mean = new Float64Array(d);
    this.scale = new Float64Array(d);
    for (let i = 0; i < train.n; i++) for (let j = 0; j < d; j++) this.mean[j] += x[i * d + j] / train.n;
    for (let i = 0; i < train.n; i++) for (let j = 0; j < d; j++) this.scale[j] += (x[i * d + j] - this.mean[j]) ** 2 / train.n;
    this.scale = this.scale.map((v) => Math.sqrt(v) || 1);
    const counts = new Float64Array(this.k);
    this.centroids = Array.from({ length: this.k }, () => new Float64Array(d));
    for (let i = 0; i < train.n; i++) {
      const c = train.y![i];
      counts[c]++;
      for (let j = 0; j < d; j++) this.centroids[c][j] += (x[i * d + j] - this.mean[j]) / this.scale[j];
    }
    this.centroids.forEach((m, c) => m.forEach((_, j) => (m[j] /= Math.max(1, counts[c]))));
    const missing = [...counts.keys()].filter((c) => counts[c] === 0);
    return {
      seconds: (performance.now() - t0) / 1000,
      parameters: this.k * d,
      notes: missing.length ? [`no training sample of class(es) ${missing.join(', ')}: they are never predicted`] : [],
    };
  }

  async predictProba(b: Batch): Promise<Float32Array> {
    const x = allSamples(b);
    const d = this.mean.length;
    const sharp = this.params.sharpness ?? 2;
    const out = new Float32Array(b.n * this.k);
    const score = new Float64Array(this.k);
    for (let i = 0; i < b.n; i++) {
      for (let c = 0; c < this.k; c++) {
        let dist = 0;
        for (let j = 0; j < d; j++) dist += ((x[i * d + j] - this.mean[j]) / this.scale[j] - this.centroids[c][j]) ** 2;
        score[c] = -sharp * (dist / d);
      }
      const max = Math.max(...score);
      let sum = 0;
      for (let c = 0; c < this.k; c++) sum += Math.exp(score[c] - max);
      for (let c = 0; c < this.k; c++) out[i * this.k + c] = Math.exp(score[c] - max) / sum;
    }
    return out;
  }

  async toJSON(): Promise<SerializedModel> {
    return {
      family: this.family,
      k: this.k,
      module: new URL(import.meta.url).pathname,
      params: this.params,
      mean: [...this.mean],
      scale: [...this.scale],
      centroids: this.centroids.map((c) => [...c]),
    };
  }

  static async fromJSON(j: SerializedModel): Promise<NearestCentroid> {
    const m = new NearestCentroid(j.k, j.params as { sharpness?: number });
    m.mean = Float64Array.from(j.mean as number[]);
    m.scale = Float64Array.from(j.scale as number[]);
    m.centroids = (j.centroids as number[][]).map((c) => Float64Array.from(c));
    return m;
  }
}
