/**
 * What the threads training one network together share: a barrier and an all-reduce (sum) of
 * float vectors through shared memory. Every thread adds the slots in rank order, so all of them
 * get bit-identical sums and their replicas of the network stay identical step after step.
 *
 * A thread that fails sets the abort flag with its message; every thread waiting at the barrier
 * then throws it, so a failure stops the whole team instead of leaving it waiting forever.
 */
import { tf } from './backend.ts';

/** The shared memory of a team: made by the thread that starts the team, passed to every member. */
export interface CollectiveMemory {
  size: number;
  /** Floats per slot: an all-reduce of a longer vector goes through it in pieces. */
  capacity: number;
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  message: SharedArrayBuffer;
}

/** How long a thread at the barrier spins before it sleeps. */
const SPIN_MS = 20;
const COUNT = 0,
  GENERATION = 1,
  ABORT = 2;

export function collectiveMemory(size: number, capacity: number): CollectiveMemory {
  return {
    size,
    capacity,
    control: new SharedArrayBuffer(3 * 4),
    slots: new SharedArrayBuffer(size * capacity * 4),
    message: new SharedArrayBuffer(1024),
  };
}

export class Collective {
  readonly size: number;
  private control: Int32Array;
  private slots: Float32Array[];
  private capacity: number;
  private message: Uint8Array;

  constructor(
    readonly rank: number,
    memory: CollectiveMemory,
  ) {
    this.size = memory.size;
    this.capacity = memory.capacity;
    this.control = new Int32Array(memory.control);
    this.slots = Array.from({ length: memory.size }, (_, r) => new Float32Array(memory.slots, r * memory.capacity * 4, memory.capacity));
    this.message = new Uint8Array(memory.message);
  }

  /** Wait until every member has arrived (a generation-counting barrier). */
  barrier(): void {
    const c = this.control;
    this.throwIfAborted();
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, COUNT, 1) === this.size - 1) {
      Atomics.store(c, COUNT, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    // Spin first: the partner is usually milliseconds away, and a thread that sleeps on the
    // futex leaves its virtual CPU halted, which costs ~10× that to wake on a VM (measured: a
    // 2-thread CNN step waited 100 ms on 26 barriers).
    const spinUntil = performance.now() + SPIN_MS;
    while (Atomics.load(c, GENERATION) === generation && performance.now() < spinUntil);
    while (Atomics.load(c, GENERATION) === generation) Atomics.wait(c, GENERATION, generation, 200);
    this.throwIfAborted(); // abort() also moves the generation on, to wake the waiters
  }

  private throwIfAborted(): void {
    if (Atomics.load(this.control, ABORT)) throw new Error(`a training thread failed: ${this.abortMessage()}`);
  }

  /** The element-wise sum of every member's `local` (same length on all), added in rank order. */
  sum(local: Float32Array): Float32Array {
    const out = new Float32Array(local.length);
    for (let at = 0; at < local.length; at += this.capacity) {
      const len = Math.min(this.capacity, local.length - at);
      this.slots[this.rank].set(local.subarray(at, at + len));
      this.barrier();
      out.set(this.slots[0].subarray(0, len), at);
      for (let r = 1; r < this.size; r++) {
        const s = this.slots[r];
        for (let i = 0; i < len; i++) out[at + i] += s[i];
      }
      this.barrier(); // nobody overwrites a slot before everyone has read it
    }
    return out;
  }

  /** Stop every member: their waits throw with this message. */
  abort(message: string): void {
    if (Atomics.compareExchange(this.control, ABORT, 0, 1) === 0) {
      const bytes = new TextEncoder().encode(message).subarray(0, this.message.length - 4);
      new DataView(this.message.buffer).setUint32(0, bytes.length);
      this.message.set(bytes, 4);
    }
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
  }

  private abortMessage(): string {
    const length = new DataView(this.message.buffer).getUint32(0);
    return new TextDecoder().decode(this.message.slice(4, 4 + length));
  }
}

/**
 * A tensor summed over the team, differentiable: each member's loss depends on the sum, so the
 * gradient reaching a member's input is the sum of every member's upstream gradient.
 */
export function allReduceSum(collective: Collective, x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.tensor(collective.sum(input.dataSync() as Float32Array), input.shape),
    gradFunc: (dy: tf.Tensor) => tf.tensor(collective.sum(dy.dataSync() as Float32Array), dy.shape),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x);
}
