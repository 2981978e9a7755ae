/**
 * One network trained by several threads (synchronous data parallelism): this thread (rank 0)
 * and `size − 1` worker threads each hold a replica, compute the gradient of their rows of every
 * batch, and apply the team's summed gradient (train-step.ts). Used when a job may use more
 * cores than one (FitOptions.threads).
 */
import { Worker } from 'node:worker_threads';
import { Collective, collectiveMemory, type CollectiveMemory } from './collective.ts';
import type { OptimizerState, StepPart, StepPlan } from './train-step.ts';

/** What a worker needs to build its replica (models/training-thread.ts). */
export interface ReplicaSpec {
  family: string;
  params: unknown;
  k: number;
  /** One sample's shape as the features give it ([H, W] or [d]). */
  sampleShape: number[];
  /** The initial weights of rank 0's network, in getWeights() order. */
  weights: { shape: number[]; data: Float32Array }[];
  classWeights: number[];
  weightDecay: number;
  dropoutSeed: number;
  /** Adam's state when the team starts after the first step (it grew between epochs). */
  optimizer?: OptimizerState;
}

export type ThreadMessage =
  { kind: 'init'; rank: number; memory: CollectiveMemory; replica: ReplicaSpec } | { kind: 'step'; plan: StepPlan; part: StepPart | null } | { kind: 'stop' };

export type ThreadReply = { kind: 'ready' } | { kind: 'failed'; error: string };

export class TrainingTeam {
  private constructor(
    readonly collective: Collective,
    private workers: Worker[],
  ) {}

  /** Start `size − 1` workers with replicas of `replica` and wait until each has built its own. */
  static async start(size: number, replica: ReplicaSpec): Promise<TrainingTeam> {
    const parameters = replica.weights.reduce((a, w) => a + w.data.length, 0);
    const memory = collectiveMemory(size, parameters + 1);
    const workers: Worker[] = [];
    try {
      for (let rank = 1; rank < size; rank++) {
        const w = new Worker(new URL('./training-thread-entry.mjs', import.meta.url));
        workers.push(w);
        w.postMessage({ kind: 'init', rank, memory, replica } satisfies ThreadMessage);
      }
      await Promise.all(
        workers.map(
          (w, i) =>
            new Promise<void>((resolve, reject) => {
              w.once('message', (r: ThreadReply) => (r.kind === 'ready' ? resolve() : reject(new Error(`training thread ${i + 1}: ${r.error}`))));
              w.once('error', (e) => reject(new Error(`training thread ${i + 1}: ${e.message}`)));
              w.once('exit', (code) => reject(new Error(`training thread ${i + 1} exited (code ${code}) before it was ready`)));
            }),
        ),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    for (const w of workers) w.removeAllListeners();
    return new TrainingTeam(new Collective(0, memory), workers);
  }

  get size(): number {
    return this.collective.size;
  }

  /** Hand the workers their parts of a step (rank r gets parts[r − 1]; null: it sits out). Parts may be views: they are copied. */
  post(plan: StepPlan, parts: (StepPart | null)[]): void {
    this.workers.forEach((w, i) => {
      const p = parts[i];
      const part = p && { x: p.x.slice(), y: p.y.slice(), rowOffset: p.rowOffset, mix: p.mix && { y: p.mix.y.slice(), lambda: p.mix.lambda } };
      const moved = part ? [part.x.buffer, part.y.buffer, ...(part.mix ? [part.mix.y.buffer] : [])] : [];
      w.postMessage({ kind: 'step', plan, part } satisfies ThreadMessage, moved);
    });
  }

  /** Stop the workers (and wake any that wait for a partner that will not come). */
  async close(): Promise<void> {
    this.collective.abort('training stopped');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
