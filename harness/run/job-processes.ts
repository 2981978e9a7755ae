/**
 * Jobs in parallel, the parent's side: worker processes take the jobs of the plan (or of its
 * shard) one at a time from a shared queue (a claims folder), into the same run folder, each with
 * one feature thread, reading and writing the shared feature cache. A static split (every n-th
 * job) left one core idle when the costly jobs fell to one process (4 CNN jobs and 4 SVM jobs:
 * the CNNs ran one after another). The worker's side is job-worker.ts. A worker exits when its
 * parent goes away, so killing the run kills it all.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunOptions, RunSummary } from './options.ts';
import type { ProgressEvent } from './progress.ts';

/** What a worker is sent: the suite (as text, parsed again there) and its options. */
export interface WorkerOrder {
  suiteText: string;
  suitePath: string;
  options: RunOptions;
}

export type WorkerAnswer = { ok: true; summary: RunSummary } | { ok: false; error: string } | { progress: ProgressEvent };

const ENTRY = fileURLToPath(new URL('./job-process-entry.mjs', import.meta.url));

/** Run `count` worker processes on the options' shard, claiming its jobs in `queueDir`; resolves with their summaries. */
export function runShardsInProcesses(
  suiteText: string,
  suitePath: string,
  options: RunOptions,
  count: number,
  queueDir: string,
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
          const order: WorkerOrder = {
            suiteText,
            suitePath,
            options: { ...options, queue: { dir: queueDir, worker: index }, processes: 1, jobs: 1, parentPid: process.pid },
          };
          child.send(order);
        }),
    ),
  );
}
