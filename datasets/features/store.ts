/**
 * The feature store: features of the clips a job needs, extracted on the worker pool into the
 * disk cache and read back from there as batches. Nothing is kept in memory between jobs, so
 * memory holds one job's batch, not the whole corpus's features.
 */
import { FeatureCache } from './cache.ts';
import { FeaturePool } from './pool.ts';
import { featureKey, type ExtractRequest } from './extract.ts';
import type { AugmentOp } from './settings.ts';
import { FEATURE_KINDS, type FeatureKind, type SuiteFeatures } from './registry.ts';
import { clipPath, type Clip } from '../types.ts';
import type { Batch } from '../../core/batch.ts';

/**
 * How a model's features are normalized before it sees them: per_speaker z-scores each value (a
 * vector's dimension, an image's band over its frames) with the statistics of that speaker's own
 * clips, unaugmented, every part of the fold included (the standard step of speaker-independent
 * SER: it reads the test speakers' unlabeled audio); per_utterance with the clip's own (images).
 */
export type Normalization = 'none' | 'per_speaker' | 'per_utterance';

/** Each value's mean and sd (vectors: per dimension; images: per band over frames). */
interface Moments {
  mean: Float64Array;
  sd: Float64Array;
}

/** Where the store reports extraction progress (the run's dashboard). */
export interface StageProgress {
  start(label: string, total: number): void;
  tick(detail?: string): void;
  done(detail?: string): void;
}

/**
 * Features of the clips a job needs. Extraction (on the worker pool) writes them to the disk
 * cache; a job's batch is read back from there. Nothing is kept in memory between jobs, so
 * memory holds one job's batch, not the whole corpus's features.
 */
export class FeatureStore {
  private ready = new Set<string>();
  /** Features that could not be made, by clip and kind ("i:kind"): a kind that fails (a broken encoder) leaves the others usable. */
  readonly failed = new Map<string, { clip: number; kind: FeatureKind; reason: string }>();
  readonly reader: FeatureCache;
  constructor(
    private settings: SuiteFeatures,
    private ops: AugmentOp[],
    private clips: Clip[],
    readonly pool: FeaturePool,
  ) {
    this.reader = new FeatureCache(pool.cacheDir);
  }

  private request(i: number, copy: number, kinds: FeatureKind[], seed: number): ExtractRequest {
    return { clip: this.clips[i], kinds, settings: this.settings, copy, ops: this.ops, seed };
  }

  private key(seed: number, i: number, copy: number, kind: FeatureKind): string {
    // Unaugmented features do not depend on the seed: share them across seeds.
    return copy === 0 ? `${i}:0:${kind}` : `${seed}:${i}:${copy}:${kind}`;
  }

  async ensure(indices: number[], copies: number, kinds: FeatureKind[], seed: number, progress: StageProgress): Promise<void> {
    const todo: { i: number; copy: number; kinds: FeatureKind[] }[] = [];
    kinds = kinds.filter((k) => FEATURE_KINDS[k].layout !== 'none'); // nothing to extract
    for (const i of indices)
      for (let c = 0; c <= copies; c++) {
        const wanted = kinds.filter((k) => c <= copiesOf(k, copies) && !this.failed.has(`${i}:${k}`));
        if (wanted.length === 0 || wanted.every((k) => this.ready.has(this.key(seed, i, c, k)))) continue;
        // Already in the cache under a known source hash (a job process after its parent's
        // extraction, a resumed run): nothing to compute. Verified (read and checksummed), so
        // a damaged entry is recomputed rather than trained on.
        const hash = this.pool.sourceHash.get(this.clips[i].id);
        if (hash && wanted.every((k) => this.reader.verify(featureKey(this.request(i, c, [k], seed), hash, k)))) {
          for (const k of wanted) this.ready.add(this.key(seed, i, c, k));
          this.pool.hits += wanted.length;
        } else todo.push({ i, copy: c, kinds: wanted });
      }
    if (todo.length === 0) return;
    progress.start(`features (seed ${seed})`, todo.length);
    await this.pool.run(
      todo.map(({ i, copy, kinds: wanted }) => this.request(i, copy, wanted, seed)),
      (t, r) => {
        const { i, copy, kinds: wanted } = todo[t];
        if (r.features) for (const k of wanted) this.ready.add(this.key(seed, i, copy, k));
        else for (const k of wanted) this.failed.set(`${i}:${k}`, { clip: i, kind: k, reason: r.error! });
        progress.tick();
      },
    );
    progress.done(`cache ${this.pool.hits} hits, ${this.pool.misses} misses`);
  }

  /** Each speaker's moments over its clips among `indices` (unaugmented copies). */
  private speakerMoments(indices: number[], kind: FeatureKind, seed: number, shape: number[]): Map<string, Moments> {
    const bySpeaker = new Map<string, Float32Array[]>();
    for (const i of indices) {
      if (this.failed.has(`${i}:${kind}`) || !this.ready.has(this.key(seed, i, 0, kind))) continue;
      const f = this.reader.get(featureKey(this.request(i, 0, [kind], seed), this.pool.sourceHash.get(this.clips[i].id)!, kind));
      if (!f) continue;
      const s = this.clips[i].speaker;
      bySpeaker.set(s, [...(bySpeaker.get(s) ?? []), f.data]);
    }
    return new Map([...bySpeaker].map(([s, rows]) => [s, moments(rows, shape)]));
  }

  /**
   * A job's split, read back from the cache on demand (ensure() must have run for it): the
   * training set of a large suite need not fit in memory, a model reads it a chunk at a time.
   */
  batch(
    indices: number[],
    copies: number,
    kind: FeatureKind,
    seed: number,
    labels: Int32Array,
    norm?: { how: Normalization; speakerClips: number[] },
  ): Batch & { clips: number[] } {
    if (FEATURE_KINDS[kind].layout === 'none')
      return {
        n: indices.length,
        sampleShape: [0],
        x: new Float32Array(0),
        y: Int32Array.from(indices, (i) => labels[i]),
        ids: indices.map((i) => this.clips[i].id),
        clips: [...indices],
      };
    const items: { i: number; c: number }[] = [];
    for (const i of indices)
      if (!this.failed.has(`${i}:${kind}`))
        for (let c = 0; c <= copiesOf(kind, copies); c++) if (this.ready.has(this.key(seed, i, c, kind))) items.push({ i, c });
    const keys = items.map(({ i, c }) => featureKey(this.request(i, c, [kind], seed), this.pool.sourceHash.get(this.clips[i].id)!, kind));
    let sampleShape: number[] = [0];
    const read = (j: number) => {
      const f = this.reader.get(keys[j]);
      if (!f) throw new Error(`feature cache entry of ${clipPath(this.clips[items[j].i])} (copy ${items[j].c}) disappeared from ${this.pool.cacheDir}`);
      // Samples of another shape would be read at the wrong stride: refused, naming the clips.
      if (j > 0 && f.shape.join() !== sampleShape.join())
        throw new Error(
          `${kind} features of ${clipPath(this.clips[items[j].i])} have shape [${f.shape}], those of ${clipPath(this.clips[items[0].i])} [${sampleShape}]: every clip's must have the same shape`,
        );
      return f;
    };
    if (items.length > 0) sampleShape = read(0).shape;
    const d = sampleShape.reduce((a, b) => a * b, 1);
    const stats = norm?.how === 'per_speaker' ? this.speakerMoments(norm.speakerClips, kind, seed, sampleShape) : null;
    const sample = (r: number, out: Float32Array, at: number) => {
      const data = read(r).data;
      if (norm?.how === 'per_utterance') normalizeWith(data, moments([data], sampleShape), sampleShape, out, at);
      else if (stats) normalizeWith(data, stats.get(this.clips[items[r].i].speaker)!, sampleShape, out, at);
      else out.set(data, at);
    };
    return {
      n: items.length,
      sampleShape,
      x: { read: (rows, out) => Array.from(rows).forEach((r, j) => sample(r, out, j * d)) },
      y: Int32Array.from(items, ({ i }) => labels[i]),
      ids: items.map(({ i }) => this.clips[i].id),
      clips: items.map(({ i }) => i),
    };
  }
}

/** Mean and sd of each value over `rows` (vectors: per dimension; images [bands, frames]: per band over every frame). */
function moments(rows: Float32Array[], shape: number[]): Moments {
  const bands = shape.length === 2 ? shape[0] : (shape[0] ?? 0);
  const per = shape.length === 2 ? shape[1] : 1;
  const sum = new Float64Array(bands),
    sq = new Float64Array(bands);
  let n = 0;
  for (const x of rows) {
    for (let b = 0; b < bands; b++)
      for (let t = 0; t < per; t++) {
        const v = x[b * per + t];
        sum[b] += v;
        sq[b] += v * v;
      }
    n += per;
  }
  const mean = sum.map((s) => s / n);
  return { mean, sd: sq.map((s, b) => Math.sqrt(Math.max(0, s / n - mean[b] ** 2))) };
}

/** x z-scored with m, written into out at `at`; a value that does not vary (sd ≈ 0) becomes 0. */
function normalizeWith(x: Float32Array, m: Moments, shape: number[], out: Float32Array, at: number): void {
  const per = shape.length === 2 ? shape[1] : 1;
  for (let b = 0; b < m.mean.length; b++) {
    const sd = m.sd[b] > 1e-8 ? m.sd[b] : Infinity;
    for (let t = 0; t < per; t++) out[at + b * per + t] = (x[b * per + t] - m.mean[b]) / sd;
  }
}

/** In-memory samples z-scored as a store's batch would be (per utterance, or per speaker over the batch's own samples of each). */
export function zScored(
  b: { n: number; sampleShape: number[]; x: Float32Array },
  how: 'per_speaker' | 'per_utterance',
  speakers: string[],
  d: number,
): Float32Array {
  const out = new Float32Array(b.x.length);
  const row = (i: number) => b.x.subarray(i * d, (i + 1) * d);
  const bySpeaker = new Map<string, Moments>();
  if (how === 'per_speaker')
    for (const s of new Set(speakers))
      bySpeaker.set(
        s,
        moments(
          speakers.flatMap((x, i) => (x === s ? [row(i)] : [])),
          b.sampleShape,
        ),
      );
  for (let i = 0; i < b.n; i++)
    normalizeWith(row(i), how === 'per_speaker' ? bySpeaker.get(speakers[i])! : moments([row(i)], b.sampleShape), b.sampleShape, out, i * d);
  return out;
}

/** Augmented copies a kind has: the suite's, or none for a kind that cannot follow the waveform (precomputed). */
export function copiesOf(kind: FeatureKind, copies: number): number {
  return FEATURE_KINDS[kind].augmentable ? copies : 0;
}
