/** A job worker process, the worker's side (started by job-process-entry.mjs): take one order, run it, answer, exit. */
import { parseSuite } from '../suite.ts';
import { runSuite } from './run.ts';
import type { WorkerOrder, WorkerAnswer } from './job-processes.ts';

export function serveJobOrder(): void {
  process.on('disconnect', () => process.exit(1)); // the parent is gone
  process.once('message', async (order: WorkerOrder) => {
    // The parent's channel no longer keeps this process alive: a model promise that can never
    // settle is then seen as such ('beforeExit', harness/run/job.ts) instead of hanging the run.
    process.channel?.unref();
    try {
      const suite = parseSuite(order.suiteText, order.suitePath, { checkPaths: false });
      const summary = await runSuite(suite, order.options);
      process.send!({ ok: true, summary } satisfies WorkerAnswer, () => process.exit(0));
    } catch (e) {
      process.send!({ ok: false, error: (e as Error).message } satisfies WorkerAnswer, () => process.exit(1));
    }
  });
}
