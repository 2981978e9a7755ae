/**
 * What a training step tells the layers whose output depends on more than the sample itself:
 * batch norm (statistics over the whole batch, summed across the threads that share it) and
 * dropout (masks drawn per sample, so that a sample gets the same mask whichever thread computes
 * it). With both, training on one thread or several gives the same steps up to float rounding.
 */
import type { Collective } from './collective.ts';

export interface TrainingStep {
  /** Seed of the fit's dropout masks. */
  seed: number;
  /** Step number within the fit (counts every batch of every epoch). */
  step: number;
  /** Index, within the whole batch, of this thread's first sample. */
  rowOffset: number;
  /** Samples in the whole batch, over all threads. */
  batchRows: number;
  /** Sums batch statistics across the threads sharing the batch; null when this thread has it all. */
  collective: Collective | null;
  /** Dropout layers run so far in this step's forward pass: each draws its own masks. */
  dropoutLayers: number;
}

let current: TrainingStep | null = null;

/** Run a step's forward and backward pass with `step` as the context its layers read. */
export function duringStep<T>(step: Omit<TrainingStep, 'dropoutLayers'>, body: () => T): T {
  const previous = current;
  current = { ...step, dropoutLayers: 0 };
  try {
    return body();
  } finally {
    current = previous;
  }
}

export const trainingStep = (): TrainingStep | null => current;
