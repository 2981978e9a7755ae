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
import { FusedAdam, type OptimizerState } from './adam.ts';

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
  /** With mixup: each row is λ·(its sample) + (1 − λ)·(a partner's), and `y` the partners' labels. */
  mix?: { y: Int32Array; lambda: number };
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

export type { OptimizerState } from './adam.ts';

export class StepTrainer {
  private readonly optimizer: FusedAdam;
  private readonly variables: tf.Variable[];
  private readonly classWeights: tf.Tensor1D;
  /** The step's gradients end to end, reused every step. */
  private readonly flat: Float32Array;

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
  ) {
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    // Decoupled weight decay (AdamW) on matrices and convolution kernels, not on biases or normalization.
    this.optimizer = new FusedAdam(this.variables, (v) => v.shape.length >= 2);
    // One more place for the team's sum of the loss.
    this.flat = new Float32Array(this.optimizer.size + 1);
    this.classWeights = tf.tensor1d(Float32Array.from(classWeights));
  }

  /** Run the step with this thread's part (null: it sits out a solo step); returns the batch's loss. */
  run(plan: StepPlan, part: StepPart | null): number {
    let grads: tf.NamedTensorMap = {};
    let loss = 0;
    if (part && part.y.length > 0) {
      const rows = part.y.length;
      const collective = plan.solo ? null : this.team;
      const r = duringStep({ seed: this.seed, step: plan.step, rowOffset: part.rowOffset, batchRows: plan.batchRows, collective }, () =>
        tf.variableGrads(() => {
          const logits = this.model.apply(tf.tensor(part.x, [rows, ...this.sampleShape]), { training: true }) as tf.Tensor2D;
          const summed = (y: Int32Array) => weightedCrossEntropyTerms(tf.oneHot(tf.tensor1d(y, 'int32'), this.k), logits, this.classWeights).loss;
          // Mixup's loss: λ of the rows' own labels' and 1 − λ of their partners' (over the same Σ w_y: a partner is another row of the batch).
          const mix = part.mix;
          const loss = mix ? tf.add(tf.mul(summed(part.y), mix.lambda), tf.mul(summed(mix.y), 1 - mix.lambda)) : summed(part.y);
          return tf.div(loss, plan.weightSum) as tf.Scalar;
        }, this.variables),
      );
      grads = r.grads;
      loss = r.value.dataSync()[0]; // with a team: this thread's part of the loss
      r.value.dispose();
    }
    const n = this.optimizer.size;
    let flat = this.optimizer.flatten(grads, this.flat.subarray(0, n));
    tf.dispose(Object.values(grads));
    if (this.team) {
      // Every thread's gradients (zeros for one that sat out) and losses, summed in rank order.
      this.flat[n] = loss;
      const summed = this.team.sum(this.flat);
      flat = summed.subarray(0, n);
      loss = summed[n];
    }
    this.optimizer.step(flat, plan.lr, this.weightDecay);
    return loss;
  }

  /** Adam's state now: its step count, moments and running products β1^t, β2^t (a resumed fit takes the very steps of one never stopped). */
  async optimizerState(): Promise<OptimizerState> {
    return this.optimizer.state();
  }

  /** Go on from Adam state `state` with another team (a team that grew between epochs); every thread of the new team loads the same state. */
  async resume(state: OptimizerState, team: Collective | null): Promise<void> {
    this.optimizer.load(state);
    this.team = team;
  }

  dispose(): void {
    this.classWeights.dispose();
  }
}
