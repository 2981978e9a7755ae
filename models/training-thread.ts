/**
 * A worker thread of a TrainingTeam: builds a replica of the network with rank 0's weights
 * (and Adam's state, when the team starts mid-fit), then runs its part of every step it is sent. A failure stops the whole team through
 * the collective's abort flag, with its message.
 */
import { parentPort } from 'node:worker_threads';
import { tf, tensorBackend } from './backend.ts';
import { Collective } from './collective.ts';
import { StepTrainer } from './train-step.ts';
import { createClassifier, type ModelType } from './registry.ts';
import type { NeuralClassifier } from './neural.ts';
import type { ThreadMessage, ThreadReply } from './training-team.ts';

let trainer: StepTrainer | null = null;
let collective: Collective | null = null;

async function handle(m: ThreadMessage): Promise<void> {
  if (m.kind === 'init') {
    try {
      collective = new Collective(m.rank, m.memory);
      await tensorBackend();
      const r = m.replica;
      const c = (await createClassifier({ type: r.family as ModelType, params: r.params }, r.k)) as unknown as NeuralClassifier;
      const model = c.network(r.sampleShape);
      const weights = r.weights.map((w) => tf.tensor(w.data, w.shape));
      model.setWeights(weights);
      tf.dispose(weights);
      trainer = new StepTrainer(model, c.tensorShape(r.sampleShape), r.classWeights, r.k, r.weightDecay, r.dropoutSeed, collective);
      if (r.optimizer) await trainer.resume(r.optimizer, collective);
      parentPort!.postMessage({ kind: 'ready' } satisfies ThreadReply);
    } catch (e) {
      parentPort!.postMessage({ kind: 'failed', error: (e as Error).message } satisfies ThreadReply);
    }
  } else if (m.kind === 'step') {
    try {
      trainer!.run(m.plan, m.part);
    } catch (e) {
      collective?.abort(`thread ${collective.rank}: ${(e as Error).message}`);
    }
  } else {
    trainer?.dispose();
    parentPort!.close();
  }
}

// Messages are handled one at a time, in order (init is asynchronous).
let queue = Promise.resolve();
parentPort!.on('message', (m: ThreadMessage) => {
  queue = queue.then(() => handle(m));
});
