/**
 * onnxruntime-node, loaded when a suite first needs it (a speech encoder, a pretrained
 * classifier), and one inference session per model file and thread.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- onnxruntime-node is loaded lazily
export type OnnxSession = any;
export type Ort = typeof import('onnxruntime-node');

const sessions = new Map<string, Promise<{ ort: Ort; sess: OnnxSession }>>();

/** The runtime and a session of `path`, loaded once per thread; `what` names the model in errors (an encoder, a classifier). */
export async function onnxSession(path: string, what: string): Promise<{ ort: Ort; sess: OnnxSession }> {
  let s = sessions.get(path);
  if (!s) {
    s = (async () => {
      let ort: Ort;
      try {
        ort = await import('onnxruntime-node');
      } catch (e) {
        throw new Error(`${what} needs onnxruntime-node (npm i onnxruntime-node): ${(e as Error).message.split('\n')[0]}`);
      }
      try {
        // One thread: the feature pool and the job processes already run one per core.
        // Its own log stays quiet: a failure comes back as an error naming the model.
        return {
          ort,
          sess: await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 4 }),
        };
      } catch (e) {
        throw new Error(`${path}: onnxruntime cannot load this ${what}: ${(e as Error).message.split('\n')[0]}`);
      }
    })();
    sessions.set(path, s);
  }
  return s;
}

/** Zero mean, unit variance (a speech model's feature extractor's do_normalize, as Wav2Vec2FeatureExtractor: variance + 1e-7). */
export function normalizeWaveform(y: Float32Array): Float32Array {
  let mean = 0;
  for (const v of y) mean += v;
  mean /= y.length || 1;
  let v2 = 0;
  for (const v of y) v2 += (v - mean) ** 2;
  const sd = Math.sqrt(v2 / (y.length || 1) + 1e-7);
  return Float32Array.from(y, (v) => (v - mean) / sd);
}
