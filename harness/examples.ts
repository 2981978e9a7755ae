/**
 * Log-mel pictures for the report: one example per corpus and emotion (written with the run, in
 * examples.json), and the clips behind each model's most overconfident errors (made when the
 * report is built, while the data is at hand).
 */
import type { Clip } from '../datasets/types.ts';
import { extractFeatures } from '../datasets/features.ts';
import { FeatureCache } from '../datasets/cache.ts';
import type { Suite } from './suite.ts';
import type { SuiteData } from './data.ts';
import { loadSuiteData } from './data.ts';
import type { SpectrogramExample } from './records.ts';
import type { Results } from './results.ts';

/** A clip's log-mel image, downsampled to at most 96 frames (a report picture, not a feature). */
async function picture(clip: Clip, suite: Suite, cache: FeatureCache): Promise<SpectrogramExample> {
  const f = (await extractFeatures({ clip, kinds: ['logmel'], settings: suite.features, copy: 0, ops: [], seed: 0 }, cache)).logmel!;
  const [h, w] = f.shape;
  const step = Math.max(1, Math.ceil(w / 96));
  const cols = Math.ceil(w / step);
  const image: number[] = [];
  for (let r = 0; r < h; r++) for (let c = 0; c < cols; c++) image.push(+f.data[r * w + c * step].toFixed(1));
  return {
    corpus: clip.corpus,
    emotion: clip.emotion,
    clip: clip.id,
    height: h,
    width: cols,
    hopSeconds: (step * suite.features.hop_length) / suite.features.sample_rate,
    sampleRate: suite.features.sample_rate,
    image,
  };
}

/** One picture per corpus and emotion. */
export async function spectrogramExamples(suite: Suite, data: SuiteData, cache: FeatureCache): Promise<SpectrogramExample[]> {
  const seen = new Set<string>();
  const out: SpectrogramExample[] = [];
  for (const clip of data.clips) {
    const key = `${clip.corpus}|${clip.emotion}`;
    if (seen.has(key)) continue;
    seen.add(key);
    try {
      out.push(await picture(clip, suite, cache));
    } catch {
      // An unreadable example clip is listed with the feature failures of the jobs that use it.
    }
  }
  return out;
}

/**
 * Pictures of each model's `perModel` most confident errors, keyed by model. The clips are read
 * again from the suite's data; where that data is not on this machine (a report rebuilt
 * elsewhere) there are none, and the reason is returned.
 */
export async function errorExamples(
  suite: Suite,
  results: Results,
  knownHashes: Record<string, string> = {},
  perModel = 3,
): Promise<{ byModel: Map<string, (SpectrogramExample & { predicted: string; confidence: number })[]>; note: string | null }> {
  const byModel = new Map<string, (SpectrogramExample & { predicted: string; confidence: number })[]>();
  const wanted = new Set(results.models.flatMap((m) => m.evaluation.overconfidence.confident_errors.slice(0, perModel).map((e) => e.clip)));
  if (wanted.size === 0) return { byModel, note: null };
  let clips: Map<string, Clip>;
  try {
    clips = new Map(
      loadSuiteData(suite, knownHashes)
        .clips.filter((c) => wanted.has(c.id))
        .map((c) => [c.id, c]),
    );
  } catch (e) {
    return { byModel, note: `the clips could not be read here (${(e as Error).message.split('\n')[0]})` };
  }
  const cache = new FeatureCache(null);
  const made = new Map<string, SpectrogramExample | null>();
  for (const m of results.models) {
    const list: (SpectrogramExample & { predicted: string; confidence: number })[] = [];
    for (const err of m.evaluation.overconfidence.confident_errors.slice(0, perModel)) {
      if (!made.has(err.clip)) {
        const clip = clips.get(err.clip);
        made.set(err.clip, clip ? await picture(clip, suite, cache).catch(() => null) : null);
      }
      const p = made.get(err.clip);
      if (p) list.push({ ...p, predicted: err.predicted, confidence: err.confidence });
    }
    byModel.set(m.name, list);
  }
  return { byModel, note: [...made.values()].some((v) => v === null) ? 'some clips could not be read here' : null };
}
