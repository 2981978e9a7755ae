/**
 * Feature extraction over the cores: a pool of worker threads, each running the same
 * extractFeatures through the shared disk cache. With one worker it runs in this thread.
 * Tasks are handed out one at a time, so memory holds only the tasks in flight plus the
 * results the caller keeps.
 */
import { Worker } from 'node:worker_threads';
import { extractFeatures, type ExtractRequest, type FeatureSet } from './extract.ts';
import { FeatureCache } from './cache.ts';
import type { WorkerReply, WorkerTask } from './worker.ts';

export interface PoolResult {
  features?: FeatureSet;
  error?: string;
}

export class FeaturePool {
  private workers: Worker[] = [];
  private local: FeatureCache;
  /** Content hash of every source read so far: lets a cached feature be found without reading the source. */
  readonly sourceHash = new Map<string, string>();
  hits = 0;
  misses = 0;

  constructor(
    readonly size: number,
    readonly cacheDir: string | null,
  ) {
    this.local = new FeatureCache(cacheDir);
  }

  private spawn(): Worker {
    // Workers run the TypeScript sources through tsx, like the main thread.
    return new Worker(new URL('./worker-entry.mjs', import.meta.url));
  }

  /** Run every request; `onDone` sees each result as it arrives (in completion order). */
  async run(requests: ExtractRequest[], onDone: (i: number, r: PoolResult) => void): Promise<void> {
    if (this.size <= 1) {
      const [hits, misses] = [this.local.hits, this.local.misses];
      for (let i = 0; i < requests.length; i++) {
        try {
          onDone(i, { features: await extractFeatures(requests[i], this.local, this.sourceHash) });
        } catch (e) {
          onDone(i, { error: (e as Error).message });
        }
      }
      this.hits += this.local.hits - hits;
      this.misses += this.local.misses - misses;
      return;
    }
    while (this.workers.length < Math.min(this.size, requests.length)) this.workers.push(this.spawn());
    let next = 0;
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= requests.length) {
                w.off('message', onMessage);
                w.off('error', reject);
                resolve();
                return;
              }
              const id = next++;
              const request = requests[id];
              w.postMessage({ id, request, cacheDir: this.cacheDir, sourceHash: this.sourceHash.get(request.clip.id) } satisfies WorkerTask);
            };
            const onMessage = (reply: WorkerReply) => {
              if (reply.ok) {
                this.hits += reply.hits;
                this.misses += reply.misses;
                if (reply.sourceHash) this.sourceHash.set(requests[reply.id].clip.id, reply.sourceHash);
                onDone(reply.id, { features: reply.features as FeatureSet });
              } else onDone(reply.id, { error: reply.error });
              send();
            };
            w.on('message', onMessage);
            w.on('error', reject);
            send();
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
