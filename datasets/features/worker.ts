/** Worker thread body: extracts features for the tasks the pool sends, through the shared disk cache. */
import { parentPort } from 'node:worker_threads';
import { extractFeatures, type ExtractRequest } from './extract.ts';
import { FeatureCache } from './cache.ts';

export interface WorkerTask {
  id: number;
  request: ExtractRequest;
  cacheDir: string | null;
  sourceHash?: string;
}

export type WorkerReply =
  | { id: number; ok: true; features: Record<string, { shape: number[]; data: Float32Array }>; sourceHash?: string; hits: number; misses: number }
  | { id: number; ok: false; error: string };

const caches = new Map<string | null, FeatureCache>();

parentPort!.on('message', async (task: WorkerTask) => {
  let cache = caches.get(task.cacheDir);
  if (!cache) caches.set(task.cacheDir, (cache = new FeatureCache(task.cacheDir)));
  const [h0, m0] = [cache.hits, cache.misses];
  const hashes = new Map<string, string>();
  if (task.sourceHash) hashes.set(task.request.clip.id, task.sourceHash);
  try {
    const features = await extractFeatures(task.request, cache, hashes);
    const reply: WorkerReply = {
      id: task.id,
      ok: true,
      features: features as never,
      sourceHash: hashes.get(task.request.clip.id),
      hits: cache.hits - h0,
      misses: cache.misses - m0,
    };
    parentPort!.postMessage(
      reply,
      Object.values(features).map((f) => f!.data.buffer as ArrayBuffer),
    );
  } catch (e) {
    parentPort!.postMessage({ id: task.id, ok: false, error: (e as Error).message } satisfies WorkerReply);
  }
});
