/**
 * Adam (with decoupled weight decay) over all of a network's weights in one pass, instead of
 * tfjs's ~15 kernels per weight tensor (the 480 products and 300 sums of a CNN step's profile,
 * each a kernel call of its own). Every operation is the float32 operation of tfjs's Adam, in
 * its order, so the weights are bit-identical to `tf.train.adam` followed by the decay product
 * (tests/adam.test.ts); its state is saved in tfjs's layout (the step count, the first moments,
 * the second moments, then β1^t and β2^t), so checkpoints written by either resume in the other.
 */
import { tf, type WasmBackendMemory } from './backend.ts';

const f = Math.fround;
const BETA1 = 0.9;
const BETA2 = 0.999;

/** One weight tensor's moments and its place in the flat gradient. */
interface Slot {
  variable: tf.Variable;
  offset: number;
  m: Float32Array;
  v: Float32Array;
  /** Decayed (AdamW): matrices and kernels, not biases or normalization parameters. */
  decay: boolean;
}

/** Adam's state as plain arrays (tfjs's names and order), to send to a thread or save in a checkpoint. */
export type OptimizerState = { name: string; shape: number[]; dtype: tf.DataType; data: Float32Array | Int32Array }[];

export class FusedAdam {
  private readonly slots: Slot[] = [];
  /** Σ sizes: the length of a flat gradient. */
  readonly size: number;
  private iterations = 0;
  /** β1^t and β2^t as float32, as tfjs keeps them (its accBeta1, accBeta2). */
  private accBeta1 = f(BETA1);
  private accBeta2 = f(BETA2);
  private readonly epsilon = f(tf.backend().epsilon());
  private readonly weights: Float32Array;

  constructor(variables: tf.Variable[], decayed: (v: tf.Variable) => boolean) {
    let offset = 0;
    for (const variable of variables) {
      this.slots.push({ variable, offset, m: new Float32Array(variable.size), v: new Float32Array(variable.size), decay: decayed(variable) });
      offset += variable.size;
    }
    this.size = offset;
    this.weights = new Float32Array(offset);
  }

  /**
   * One step from the flat gradient (the variables' gradients end to end, in their order):
   * tfjs's Adam, then w ← w·(1 − lr·decay) on the decayed weights.
   */
  step(grad: Float32Array<ArrayBufferLike>, lr: number, weightDecay: number): void {
    const b1 = f(BETA1),
      b2 = f(BETA2),
      c1 = f(1 - BETA1),
      c2 = f(1 - BETA2);
    const oneMinusAcc1 = f(1 - this.accBeta1),
      oneMinusAcc2 = f(1 - this.accBeta2);
    const negLr = f(-lr),
      eps = this.epsilon,
      keep = f(1 - lr * weightDecay);
    for (const s of this.slots) {
      const w = this.weights.subarray(s.offset, s.offset + s.m.length);
      this.read(s.variable, w);
      const { m, v } = s;
      for (let i = 0, at = s.offset; i < m.length; i++, at++) {
        const g = grad[at];
        const mi = f(f(m[i] * b1) + f(g * c1));
        const vi = f(f(v[i] * b2) + f(f(g * g) * c2));
        m[i] = mi;
        v[i] = vi;
        const den = f(f(Math.sqrt(f(vi / oneMinusAcc2))) + eps);
        let wi = f(f(f(f(mi / oneMinusAcc1) / den) * negLr) + w[i]);
        if (s.decay && weightDecay > 0) wi = f(wi * keep);
        w[i] = wi;
      }
      this.write(s.variable, w);
    }
    this.accBeta1 = f(this.accBeta1 * b1);
    this.accBeta2 = f(this.accBeta2 * b2);
    this.iterations++;
  }

  /** The gradients of a step (tensors by variable name; absent: zero) as one flat array. */
  flatten(grads: tf.NamedTensorMap, into: Float32Array<ArrayBufferLike> = new Float32Array(this.size)): Float32Array<ArrayBufferLike> {
    for (const s of this.slots) {
      const g = grads[s.variable.name];
      if (g) into.set(g.dataSync() as Float32Array, s.offset);
      else into.fill(0, s.offset, s.offset + s.m.length);
    }
    return into;
  }

  private read(variable: tf.Variable, into: Float32Array): void {
    const heap = wasmHeap();
    if (heap) into.set(heap.typedArrayFromHeap(variable as never));
    else into.set(variable.dataSync() as Float32Array);
  }

  /**
   * The new values into the variable as a new tensor. Not in place in the backend's memory:
   * tfjs-backend-wasm keeps XNNPACK operators with the weights packed inside, found again by the
   * weight's data id, so a weight changed under the same id would go on convolving with its old
   * values (a fused-Adam fit then drifted from the cpu backend's at the first epoch).
   */
  private write(variable: tf.Variable, values: Float32Array): void {
    // A copy: the cpu backend keeps the array it is given, and this one is reused every step.
    const t = tf.tensor(values.slice(), variable.shape, 'float32');
    variable.assign(t);
    t.dispose();
  }

  state(): OptimizerState {
    return [
      { name: 'iter', shape: [], dtype: 'int32', data: Int32Array.of(this.iterations) },
      ...this.slots.map((s) => ({ name: `${s.variable.name}/m`, shape: s.variable.shape, dtype: 'float32' as const, data: s.m.slice() })),
      ...this.slots.map((s) => ({ name: `${s.variable.name}/v`, shape: s.variable.shape, dtype: 'float32' as const, data: s.v.slice() })),
      { name: 'accBeta1', shape: [], dtype: 'float32', data: Float32Array.of(this.accBeta1) },
      { name: 'accBeta2', shape: [], dtype: 'float32', data: Float32Array.of(this.accBeta2) },
    ];
  }

  /**
   * Go on from a saved state. The moments are matched to the weights by order, as tfjs does
   * (weight names carry per-process counters); a state saved before the first step has none.
   */
  load(state: OptimizerState): void {
    const iter = state.find((w) => w.name === 'iter');
    const acc1 = state.find((w) => w.name === 'accBeta1');
    const acc2 = state.find((w) => w.name === 'accBeta2');
    const moments = state.filter((w) => w !== iter && w !== acc1 && w !== acc2);
    if (!iter) throw new Error('optimizer state without its step count');
    if (moments.length !== 0 && moments.length !== 2 * this.slots.length)
      throw new Error(`optimizer state holds ${moments.length} moment tensors, the network has ${this.slots.length} weight tensors (expected twice as many)`);
    this.iterations = iter.data[0];
    // tfjs recomputes β^t by pow() when no running product was kept.
    this.accBeta1 = acc1 ? f(acc1.data[0]) : f(Math.pow(BETA1, this.iterations + 1));
    this.accBeta2 = acc2 ? f(acc2.data[0]) : f(Math.pow(BETA2, this.iterations + 1));
    this.slots.forEach((s, i) => {
      const [m, v] = moments.length ? [moments[i], moments[this.slots.length + i]] : [null, null];
      for (const [w, into] of [
        [m, s.m],
        [v, s.v],
      ] as const) {
        if (w && w.data.length !== into.length) throw new Error(`optimizer state ${w.name}: ${w.data.length} values for a weight of ${into.length}`);
        if (w) into.set(w.data);
        else into.fill(0);
      }
    });
  }
}

function wasmHeap(): WasmBackendMemory | null {
  return tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackendMemory) : null;
}
