/**
 * Jobs in parallel: each worker process runs one shard of the job plan (every n-th job) into
 * the same run folder, with one feature thread, reading and writing the shared feature cache.
 * Each tensor backend is single-threaded on wasm, so processes are what uses the cores.
 * A worker exits when its parent goes away, so killing the run kills it all.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseSuite } from './suite.ts';
import type { RunOptions, RunSummary } from './run.ts';
import type { ProgressEvent } from './progress.ts';

interface WorkerOrder {
  suiteText: string;
  suitePath: string;
  options: RunOptions;
}

type WorkerAnswer = { ok: true; summary: RunSummary } | { ok: false; error: string } | { progress: ProgressEvent };

const ENTRY = fileURLToPath(new URL('./job-process-entry.mjs', import.meta.url));

/**
 * Run `count` worker processes; resolves with their summaries. Within a shard i/n of the plan,
 * process j runs shard (i + j·n)/(n·count): the shard's jobs, split again.
 */
export function runShardsInProcesses(
  suiteText: string,
  suitePath: string,
  options: RunOptions,
  count: number,
  onProgress: (worker: number, e: ProgressEvent) => void,
): Promise<RunSummary[]> {
  return Promise.all(
    Array.from(
      { length: count },
      (_, index) =>
        new Promise<RunSummary>((resolve, reject) => {
          const child = fork(ENTRY, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
          let answered = false;
          child.on('message', (m: WorkerAnswer) => {
            if ('progress' in m) return onProgress(index, m.progress);
            answered = true;
            if (m.ok) resolve(m.summary);
            else reject(new Error(m.error));
          });
          child.on('exit', (code, signal) => {
            if (!answered) reject(new Error(`job worker ${index}/${count} stopped (${signal ?? `exit code ${code}`}) before reporting`));
          });
          const base = options.shard ?? { index: 0, count: 1 };
          const shard = { index: base.index + index * base.count, count: base.count * count };
          const order: WorkerOrder = { suiteText, suitePath, options: { ...options, shard, processes: 1, jobs: 1, parentPid: process.pid } };
          child.send(order);
        }),
    ),
  );
}

/** The worker side, started by job-process-entry.mjs: take one order, run it, answer, exit. */
export function serveJobOrder(): void {
  process.on('disconnect', () => process.exit(1)); // the parent is gone
  process.once('message', async (order: WorkerOrder) => {
    try {
      const { runSuite } = await import('./run.ts');
      const suite = parseSuite(order.suiteText, order.suitePath, { checkPaths: false });
      const summary = await runSuite(suite, order.options);
      process.send!({ ok: true, summary } satisfies WorkerAnswer, () => process.exit(0));
    } catch (e) {
      process.send!({ ok: false, error: (e as Error).message } satisfies WorkerAnswer, () => process.exit(1));
    }
  });
}
