/**
 * What the CNN, the ViT and the MLP share: input standardization, a seeded mini-batch training loop
 * with per-sample class-weighted cross-entropy (weightedCrossEntropy), early stopping on validation loss (best weights kept),
 * divergence detection, and (de)serialization of a tf.LayersModel to plain JSON.
 */
import { tf, tensorBackend } from './backend.ts';
import type { EpochLog, FitCheckpoint, FitOptions, FitReport, SavedArray, SerializedModel } from './classifier.ts';
import { balancedWeights, checkProbabilities } from './classifier.ts';
import { chunks, gather, type Batch } from '../core/batch.ts';
import { Standardizer } from './standardize.ts';
import type { TrainingParams } from './params.ts';
import { Rng, hashString } from '../core/random.ts';
import { StepTrainer, weightedCrossEntropyTerms, type OptimizerState, type StepPart, type StepPlan } from './train-step.ts';
import { TrainingTeam, type ReplicaSpec } from './training-team.ts';

/**
 * tfjs draws dropout masks and initial weights from Math.random when no seed is given (a fixed
 * seed would repeat one dropout mask for every batch). Running model construction and training
 * with Math.random swapped for a seeded generator makes a run repeat exactly.
 */
export async function withSeededRandom<T>(seed: string, body: (rng: Rng) => Promise<T>): Promise<T> {
  const original = Math.random;
  const rng = new Rng(seed);
  Math.random = () => rng.next();
  try {
    return await body(rng);
  } finally {
    Math.random = original;
  }
}

export class DivergedError extends Error {}

/**
 * Mixup (Zhang et al., ICLR 2018) of one batch of `d`-value rows: λ ~ Beta(α, α) and a
 * permutation π of the rows from the batch stream (so a resumed fit draws the same), row i
 * becoming λ·x_i + (1 − λ)·x_π(i) with partner label y_π(i). Off (α = 0) or a one-row batch:
 * the batch as it is, and nothing drawn.
 */
export function mixBatch(x: Float32Array, y: Int32Array, d: number, alpha: number, rng: Rng): { x: Float32Array; mix?: { y: Int32Array; lambda: number } } {
  if (!(alpha > 0) || y.length < 2) return { x };
  const lambda = rng.beta(alpha, alpha);
  const partner = rng.shuffle(Array.from(y, (_, i) => i));
  const mixed = new Float32Array(x.length);
  partner.forEach((p, i) => {
    for (let j = 0; j < d; j++) mixed[i * d + j] = lambda * x[i * d + j] + (1 - lambda) * x[p * d + j];
  });
  return { x: mixed, mix: { y: Int32Array.from(partner, (p) => y[p]), lambda } };
}

const saveArray = (t: tf.Tensor): SavedArray => ({ shape: t.shape, data: t.dataSync() as Float32Array });
const toTensor = (a: SavedArray) => tf.tensor(a.data, a.shape, (a.dtype as tf.DataType | undefined) ?? 'float32');

/** A kept checkpoint, if it is one of this network (its weights' shapes) on this training set; else null (the fit starts afresh). */
function usableCheckpoint(c: FitCheckpoint | null, model: tf.LayersModel, n: number): FitCheckpoint | null {
  if (!c) return null;
  const shapes = model.getWeights().map((w) => w.shape.join('x'));
  const fits = c.order?.length === n && c.weights?.length === shapes.length && c.weights.every((w, i) => w.shape.join('x') === shapes[i]);
  return fits ? c : null;
}

/** The learning rate of an epoch (1-based) under the schedule. */
export function learningRate(s: TrainingParams, epoch: number): number {
  if (s.lr_schedule !== 'cosine' || s.epochs <= 1) return s.learning_rate;
  return s.learning_rate * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / s.epochs));
}

/** Mean recall over the classes present in y (UAR). */
export function unweightedRecall(pred: ArrayLike<number>, y: ArrayLike<number>, k: number): number {
  const hit = new Array(k).fill(0),
    count = new Array(k).fill(0);
  for (let i = 0; i < y.length; i++) {
    count[y[i]]++;
    if (pred[i] === y[i]) hit[y[i]]++;
  }
  const present = count.map((c, j) => (c > 0 ? hit[j] / c : -1)).filter((r) => r >= 0);
  return present.reduce((a, b) => a + b, 0) / Math.max(1, present.length);
}

/**
 * Class-weighted cross-entropy on logits, weighting each sample by its class's weight:
 * Σ w_yi · ce_i / Σ w_yi, as PyTorch's CrossEntropyLoss(weight=w) (training steps divide by the
 * whole batch's Σ w instead, see train-step.ts). (tfjs-layers' classWeight applied to an
 * already reduced loss only rescales the batch: mean(ce) · mean(w).)
 */
export function weightedCrossEntropy(classWeights: tf.Tensor1D): (yTrue: tf.Tensor, logits: tf.Tensor) => tf.Scalar {
  return (yTrue, logits) =>
    tf.tidy(() => {
      const { loss, weight } = weightedCrossEntropyTerms(yTrue, logits, classWeights);
      return tf.div(loss, weight) as tf.Scalar;
    });
}

/** A classifier built from a tf.LayersModel, over images [H, W] (CNN, ViT) or vectors [d] (MLP). */
export abstract class NeuralClassifier {
  abstract readonly family: string;
  /** What one sample is: an image [H, W] (fed as [H, W, 1]) or a vector [d]. */
  protected abstract readonly layout: 'image' | 'vector';
  protected model: tf.LayersModel | null = null;
  protected scaler: Standardizer | null = null;
  /** One sample's shape as the features give it: [H, W] or [d]. */
  protected sampleShape: number[] = [];

  constructor(
    readonly k: number,
    readonly training: TrainingParams,
  ) {}

  /** Build the (uncompiled) network for samples of `shape` ([H, W] or [d]) and k logits. */
  protected abstract build(shape: number[]): tf.LayersModel;

  /** Standardized samples `rows` of b as an [n, H, W, 1] or [n, d] tensor. */
  private tensor(b: Batch, rows: ArrayLike<number>): tf.Tensor {
    return tf.tensor(this.standardized(b, rows), [rows.length, ...this.tensorShape(this.sampleShape)]);
  }

  /** The network for samples of `shape`, untrained (a TrainingTeam's worker builds its replica with it). */
  network(shape: number[]): tf.LayersModel {
    return this.build(shape);
  }

  /** One sample's tensor shape: [H, W, 1] for an image [H, W], [d] for a vector. */
  tensorShape(shape: number[]): number[] {
    return this.layout === 'image' ? [...shape, 1] : [...shape];
  }

  async fit(train: Batch, val: Batch | undefined, opts: FitOptions): Promise<FitReport> {
    const backend = await tensorBackend();
    const t0 = performance.now();
    const rank = this.layout === 'image' ? 2 : 1;
    if (train.sampleShape.length !== rank)
      throw new Error(`${this.family}: needs ${this.layout === 'image' ? 'image features [H, W]' : 'vector features [d]'}, got shape [${train.sampleShape}]`);
    this.sampleShape = [...train.sampleShape];
    this.scaler = Standardizer.fit(train);
    const hasVal = val !== undefined && val.n > 0;
    const s = this.training;
    const weights = s.class_weights ? balancedWeights(train.y!, this.k) : new Float64Array(this.k).fill(1);
    const history: EpochLog[] = [];
    const notes: string[] = [];
    let best = { loss: Infinity, epoch: 0, weights: [] as tf.Tensor[] };
    const classWeights = tf.tensor1d(Float32Array.from(weights));
    // Several threads only for the image networks: an MLP step is too small to share.
    const usable = (cores: number) => (this.layout === 'image' ? Math.max(1, Math.min(cores, s.batch_size)) : 1);
    let threads = usable(opts.threads ?? 1);
    let grown = false; // the team grew during the fit (its note says so)
    let team: TrainingTeam | null = null;
    let trainer: StepTrainer | null = null;
    const replica = (dropoutSeed: number, optimizer?: OptimizerState): ReplicaSpec => ({
      family: this.family,
      params: this.training,
      k: this.k,
      sampleShape: this.sampleShape,
      weights: this.model!.getWeights().map((w) => ({ shape: w.shape, data: w.dataSync() as Float32Array })),
      classWeights: Array.from(weights),
      weightDecay: s.weight_decay ?? 0,
      dropoutSeed,
      optimizer,
    });

    let resumedFrom: number | undefined;
    let earlier = 0; // seconds the fit ran before its checkpoint
    try {
      await withSeededRandom(`${this.family}:${opts.seed}`, async (mathRng) => {
        this.model?.dispose();
        this.model = this.build(this.sampleShape);
        const dropoutSeed = hashString(`${this.family}:dropout:${opts.seed}`);
        const rng = new Rng(`${this.family}:batches:${opts.seed}`);
        let order = Array.from({ length: train.n }, (_, i) => i);
        let waited = 0,
          step = 0,
          first = 1;
        // An interrupted fit goes on from its last finished epoch: weights, Adam's state, the
        // early-stopping state and the random streams' positions, so that it ends as it would have.
        const saved = usableCheckpoint(opts.checkpoints?.load() ?? null, this.model, train.n);
        if (saved) {
          this.model.setWeights(saved.weights.map(toTensor));
          best = { loss: saved.best.loss, epoch: saved.best.epoch, weights: saved.best.weights.map(toTensor) };
          [waited, step, first, order] = [saved.waited, saved.step, saved.epoch + 1, saved.order];
          rng.at(saved.batchRng);
          mathRng.at(saved.mathRandom);
          history.push(...saved.history);
          notes.push(...saved.notes);
          [resumedFrom, earlier] = [saved.epoch, saved.seconds];
          if (saved.threads !== threads) notes.push(`resumed on ${threads} thread(s) after ${saved.threads}: the same steps up to float rounding`);
        }
        if (threads > 1) team = await TrainingTeam.start(threads, replica(dropoutSeed, saved?.optimizer as OptimizerState | undefined));
        trainer = new StepTrainer(this.model, this.tensorShape(this.sampleShape), weights, this.k, s.weight_decay ?? 0, dropoutSeed, team?.collective ?? null);
        if (saved) await trainer.resume(saved.optimizer as OptimizerState, (team as TrainingTeam | null)?.collective ?? null);
        // ~512 samples a chunk: a 64×188 log-mel chunk is 25 MB in JavaScript and in the backend.
        const chunk = s.batch_size * Math.max(1, Math.floor(512 / s.batch_size));
        const d = this.sampleShape.reduce((a, b) => a * b, 1);
        for (let epoch = first; epoch <= s.epochs; epoch++) {
          const more = epoch > 1 && opts.cores ? usable(opts.cores()) : threads;
          if (more > threads) {
            // Cores came free: go on with a larger team, from this epoch's weights and Adam's
            // state. The steps stay those of one thread, up to float rounding.
            const state = await trainer!.optimizerState();
            const larger = await TrainingTeam.start(more, replica(dropoutSeed, state)).catch((e: Error) => {
              notes.push(`stayed on ${threads} thread(s) at epoch ${epoch}: ${e.message}`);
              return null;
            });
            if (larger) {
              await (team as TrainingTeam | null)?.close();
              team = larger;
              await trainer!.resume(state, larger.collective);
              notes.push(
                `from epoch ${epoch} on ${more} threads (cores the run's other job processes left; synchronous data parallelism: the same steps as on one, up to float rounding)`,
              );
              threads = more;
              grown = true;
            }
          }
          const lr = learningRate(s, epoch);
          // Our own seeded shuffle, so that batches repeat exactly.
          rng.shuffle(order);
          // Read in chunks of whole batches, without the whole training set in memory (it may be
          // read from disk per chunk).
          let lossSum = 0;
          for (let start = 0; start < order.length; start += chunk) {
            const part = order.slice(start, start + chunk);
            const x = this.standardized(train, part);
            const y = Int32Array.from(part, (i) => train.y![i]);
            for (let b = 0; b < part.length; b += s.batch_size) {
              const rows = Math.min(s.batch_size, part.length - b);
              const by = y.subarray(b, b + rows);
              const { x: bx, mix } = mixBatch(x.subarray(b * d, (b + rows) * d), by, d, s.mixup ?? 0, rng);
              const plan: StepPlan = { step: step++, lr, batchRows: rows, weightSum: by.reduce((a, c) => a + weights[c], 0), solo: rows < threads };
              // Contiguous, near-equal shares of the batch's rows; rank 0 computes the first.
              const bounds = Array.from({ length: threads + 1 }, (_, r) => (plan.solo ? (r === 0 ? 0 : rows) : Math.round((r * rows) / threads)));
              const share = (r: number): StepPart | null => {
                const [lo, hi] = [bounds[r], bounds[r + 1]];
                if (hi <= lo) return null;
                return {
                  x: bx.subarray(lo * d, hi * d),
                  y: by.subarray(lo, hi),
                  rowOffset: lo,
                  ...(mix ? { mix: { y: mix.y.subarray(lo, hi), lambda: mix.lambda } } : {}),
                };
              };
              team?.post(
                plan,
                Array.from({ length: threads - 1 }, (_, i) => share(i + 1)),
              );
              lossSum += trainer!.run(plan, share(0)) * rows;
            }
          }
          const log: EpochLog = { epoch, loss: lossSum / order.length, lr };
          if (!Number.isFinite(log.loss))
            throw new DivergedError(`${this.family}: training diverged: loss ${log.loss} at epoch ${epoch} (learning rate ${s.learning_rate} too high?)`);
          if (hasVal) {
            const logits = await this.logits(val!);
            const yv = val!.y!;
            const [l, pred] = tf.tidy(() => [weightedCrossEntropy(classWeights)(tf.oneHot(tf.tensor1d(yv, 'int32'), this.k), logits), logits.argMax(1)]);
            log.valLoss = (await l.data())[0];
            const p = await pred.data();
            log.valAccuracy = Array.from(p).reduce((a: number, c, i) => a + (c === yv[i] ? 1 : 0), 0) / val!.n;
            log.valUar = unweightedRecall(p, yv, this.k);
            tf.dispose([logits, l, pred]);
          }
          history.push(log);
          opts.onEpoch?.(log);
          // Lower is better: the loss, or minus the UAR.
          const monitored = s.monitor === 'uar' && log.valUar !== undefined ? -log.valUar : (log.valLoss ?? log.loss);
          if (!Number.isFinite(monitored)) throw new DivergedError(`${this.family}: validation loss is ${monitored} at epoch ${epoch}`);
          if (monitored < best.loss - 1e-4) {
            best.weights.forEach((w) => w.dispose());
            best = { loss: monitored, epoch, weights: this.model.getWeights().map((w) => w.clone()) };
            waited = 0;
          } else if (++waited >= s.patience) {
            notes.push(
              `early stop after epoch ${epoch}: no ${log.valLoss !== undefined ? 'validation' : 'training'} ${s.monitor === 'uar' && log.valUar !== undefined ? 'UAR' : 'loss'} improvement for ${s.patience} epochs`,
            );
            break;
          }
          if (opts.checkpoints && epoch < s.epochs)
            opts.checkpoints.save({
              epoch,
              step,
              weights: this.model.getWeights().map(saveArray),
              optimizer: await trainer!.optimizerState(),
              best: { loss: best.loss, epoch: best.epoch, weights: best.weights.map(saveArray) },
              waited,
              order: [...order],
              batchRng: rng.position(),
              mathRandom: mathRng.position(),
              history: [...history],
              notes: [...notes],
              threads,
              seconds: earlier + (performance.now() - t0) / 1000,
            });
        }
        this.model.setWeights(best.weights);
        best.weights.forEach((w) => w.dispose());
        const finite = tf.tidy(() => this.model!.getWeights().every((w) => tf.all(tf.isFinite(w)).dataSync()[0] === 1));
        if (!finite) throw new DivergedError(`${this.family}: training diverged: weights became NaN or infinite (learning rate ${s.learning_rate} too high?)`);
      });
    } finally {
      classWeights.dispose();
      (trainer as StepTrainer | null)?.dispose();
      await (team as TrainingTeam | null)?.close();
    }
    if (threads > 1 && !grown) notes.push(`trained on ${threads} threads (synchronous data parallelism: the same steps as on one, up to float rounding)`);
    return {
      seconds: earlier + (performance.now() - t0) / 1000,
      parameters: this.model!.countParams(),
      epochs: history.length,
      bestEpoch: best.epoch,
      history,
      backend,
      notes,
      ...(resumedFrom !== undefined ? { resumedFrom } : {}),
    };
  }

  /** Standardized samples `rows` of b, row-major. */
  private standardized(b: Batch, rows: ArrayLike<number>): Float32Array {
    const x = gather(b, rows); // a fresh array: standardized in place
    return this.scaler!.transform(x, x);
  }

  /** Logits for a batch, computed in chunks. */
  private async logits(b: Batch): Promise<tf.Tensor2D> {
    const parts: tf.Tensor2D[] = [];
    for (const rows of chunks(b.n, 64)) parts.push(tf.tidy(() => this.model!.apply(this.tensor(b, rows), { training: false }) as tf.Tensor2D));
    const out = tf.concat(parts, 0);
    parts.forEach((p) => p.dispose());
    return out;
  }

  async predictProba(b: Batch): Promise<Float32Array> {
    if (!this.model || !this.scaler) throw new Error(`${this.family}: predictProba before fit`);
    await tensorBackend();
    const logits = await this.logits(b);
    if (!(await logits.data()).every(Number.isFinite)) {
      logits.dispose();
      throw new DivergedError(
        `${this.family}: the network outputs NaN or infinite logits: training diverged (learning rate ${this.training.learning_rate} too high?)`,
      );
    }
    const p = tf.tidy(() => tf.softmax(logits));
    const out = Float32Array.from(await p.data());
    logits.dispose();
    p.dispose();
    return checkProbabilities(out, b.n, this.k, this.family);
  }

  async toJSON(): Promise<SerializedModel> {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await this.model!.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    return {
      family: this.family,
      k: this.k,
      settings: this.training,
      inputShape: this.sampleShape,
      scaler: this.scaler!.toJSON(),
      topology: artifacts!.modelTopology,
      weightSpecs: artifacts!.weightSpecs,
      weights: Buffer.from(artifacts!.weightData as ArrayBuffer).toString('base64'),
    };
  }

  /** Restore weights and preprocessing from `toJSON` output. */
  protected async restore(j: SerializedModel): Promise<void> {
    await tensorBackend();
    const buf = Buffer.from(j.weights as string, 'base64');
    this.model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: j.topology as object,
        weightSpecs: j.weightSpecs as tf.io.WeightsManifestEntry[],
        weightData: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length),
      }),
    );
    this.scaler = Standardizer.fromJSON(j.scaler as ReturnType<Standardizer['toJSON']>);
    // Models saved before the MLP joined called it imageShape.
    this.sampleShape = (j.inputShape ?? j.imageShape) as number[];
  }
}
