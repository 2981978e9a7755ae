/**
 * One optimizer step of a network on this thread's rows of a batch: forward and backward with
 * the step context (synchronized batch norm, per-sample dropout), the gradients summed over the
 * team when the batch is shared, then the same Adam (and decoupled weight decay) update on every
 * thread, so that their replicas stay identical. The loss is the batch's class-weighted
 * cross-entropy Σ w_y·ce / Σ w_y over all its rows: each thread adds its rows' Σ w_y·ce over the
 * whole batch's Σ w_y, and the parts sum to the loss.
 */
import { tf } from './backend.ts';
import type { Collective } from './collective.ts';
import { duringStep } from './step-context.ts';

/**
 * The class-weighted cross-entropy's two sums over a batch's rows: Σ w_y·ce and Σ w_y (their
 * ratio is PyTorch's CrossEntropyLoss(weight=w)). A sample's weight is read from its one-hot
 * target, so no per-batch weight tensor is needed.
 */
export function weightedCrossEntropyTerms(yTrue: tf.Tensor, logits: tf.Tensor, classWeights: tf.Tensor1D): { loss: tf.Scalar; weight: tf.Scalar } {
  const ce = tf.losses.softmaxCrossEntropy(yTrue, logits, undefined, 0, tf.Reduction.NONE);
  const w = tf.sum(tf.mul(yTrue, classWeights), -1);
  return { loss: tf.sum(tf.mul(ce, w)), weight: tf.sum(w) };
}

/** This thread's rows of a batch. */
export interface StepPart {
  /** The rows' standardized samples, row-major. */
  x: Float32Array;
  y: Int32Array;
  /** Index of the first row within the batch. */
  rowOffset: number;
}

/** What every thread of a step is told. */
export interface StepPlan {
  step: number;
  lr: number;
  /** Rows of the whole batch. */
  batchRows: number;
  /** Σ over the whole batch of its rows' class weights. */
  weightSum: number;
  /** The batch has fewer rows than the team has threads: thread 0 computes it alone. */
  solo: boolean;
}

/** tfjs Adam's running products of β1 and β2 (its own fields). */
const ACC_BETA = ['accBeta1', 'accBeta2'] as const;

/** Adam's state (its step count, each weight's two moment estimates, then β1^t and β2^t), as plain arrays a thread can be sent. */
export type OptimizerState = { name: string; shape: number[]; dtype: tf.DataType; data: Float32Array | Int32Array }[];

export class StepTrainer {
  private optimizer: tf.Optimizer;
  private readonly variables: tf.Variable[];
  private readonly decayed: tf.LayerVariable[];
  private readonly classWeights: tf.Tensor1D;

  constructor(
    readonly model: tf.LayersModel,
    /** One sample's tensor shape ([H, W, 1] or [d]). */
    readonly sampleShape: number[],
    classWeights: ArrayLike<number>,
    readonly k: number,
    readonly weightDecay: number,
    /** Seed of the dropout masks. */
    readonly seed: number,
    /** The threads sharing each batch (null: this thread alone). */
    private team: Collective | null,
    private readonly learningRate: number,
  ) {
    this.optimizer = tf.train.adam(learningRate);
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    // Decoupled weight decay (AdamW) on matrices and convolution kernels, not on biases or normalization.
    this.decayed = model.trainableWeights.filter((w) => w.shape.length >= 2);
    this.classWeights = tf.tensor1d(Float32Array.from(classWeights));
  }

  /** Run the step with this thread's part (null: it sits out a solo step); returns the batch's loss. */
  run(plan: StepPlan, part: StepPart | null): number {
    (this.optimizer as unknown as { learningRate: number }).learningRate = plan.lr;
    const team = this.team;
    let grads: tf.NamedTensorMap = {};
    let loss = 0;
    if (part && part.y.length > 0) {
      const rows = part.y.length;
      const collective = plan.solo ? null : team;
      const r = duringStep({ seed: this.seed, step: plan.step, rowOffset: part.rowOffset, batchRows: plan.batchRows, collective }, () =>
        tf.variableGrads(() => {
          const logits = this.model.apply(tf.tensor(part.x, [rows, ...this.sampleShape]), { training: true }) as tf.Tensor2D;
          const yTrue = tf.oneHot(tf.tensor1d(part.y, 'int32'), this.k);
          return tf.div(weightedCrossEntropyTerms(yTrue, logits, this.classWeights).loss, plan.weightSum) as tf.Scalar;
        }, this.variables),
      );
      grads = r.grads;
      loss = r.value.dataSync()[0]; // with a team: this thread's part of the loss
      r.value.dispose();
    }
    if (team) ({ grads, loss } = this.sumOverTeam(grads, loss));
    this.optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    if (this.weightDecay > 0)
      tf.tidy(() => {
        for (const w of this.decayed) w.write(tf.mul(w.read(), 1 - plan.lr * this.weightDecay));
      });
    return loss;
  }

  /** Every thread's gradients (zeros for one that sat out) and losses, summed in rank order. */
  private sumOverTeam(grads: tf.NamedTensorMap, loss: number): { grads: tf.NamedTensorMap; loss: number } {
    const total = this.variables.reduce((a, v) => a + v.size, 0);
    const flat = new Float32Array(total + 1);
    let at = 0;
    for (const v of this.variables) {
      if (grads[v.name]) flat.set(grads[v.name].dataSync() as Float32Array, at);
      at += v.size;
    }
    flat[total] = loss;
    tf.dispose(Object.values(grads));
    const summed = this.team!.sum(flat);
    const out: tf.NamedTensorMap = {};
    at = 0;
    for (const v of this.variables) {
      out[v.name] = tf.tensor(summed.subarray(at, at + v.size), v.shape);
      at += v.size;
    }
    return { grads: out, loss: summed[total] };
  }

  /**
   * Adam's state now: its step count and moments, and the running products β1^t and β2^t it
   * keeps for the bias corrections (tfjs recomputes them by pow() on loading, which may differ in
   * the last bit: kept, a resumed fit takes the very steps of one that was never stopped).
   */
  async optimizerState(): Promise<OptimizerState> {
    const named = await this.optimizer.getWeights();
    const state = await Promise.all(
      named.map(async ({ name, tensor }) => ({ name, shape: tensor.shape, dtype: tensor.dtype, data: (await tensor.data()) as Float32Array | Int32Array })),
    );
    named[0].tensor.dispose(); // the step count, made for this call (the moments are Adam's own variables)
    const acc = this.optimizer as unknown as Record<(typeof ACC_BETA)[number], tf.Variable>;
    for (const name of ACC_BETA) state.push({ name, shape: [], dtype: 'float32', data: acc[name].dataSync() as Float32Array });
    return state;
  }

  /**
   * Go on from Adam state `state` with another team (a team that grew between epochs). Every
   * thread of the new team, this one included, loads the same state, so their updates stay
   * identical: Adam recomputes its bias corrections from the step count on loading, which may
   * differ in the last bit from the running products it kept.
   */
  async resume(state: OptimizerState, team: Collective | null): Promise<void> {
    const loaded = tf.train.adam(this.learningRate);
    const isAcc = (name: string) => (ACC_BETA as readonly string[]).includes(name);
    await loaded.setWeights(state.filter((w) => !isAcc(w.name)).map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape, w.dtype) })));
    const acc = loaded as unknown as Record<string, tf.Variable>;
    for (const w of state.filter((x) => isAcc(x.name))) {
      const v = tf.scalar(w.data[0]);
      acc[w.name].assign(v);
      v.dispose();
    }
    this.optimizer.dispose();
    this.optimizer = loaded;
    this.team = team;
  }

  dispose(): void {
    // Adam's moment estimates (two per weight) are variables of their own: kept, they piled up
    // with every fit in a job process.
    this.optimizer.dispose();
    this.classWeights.dispose();
  }
}
