/**
 * Log-mel pictures for the report: one example per corpus and emotion (written with the run, in
 * examples.json), and the clips behind each model's most overconfident errors (drawn when the
 * report is built). Error clips are found from the run's data.json: only their files are read.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Clip } from '../datasets/types.ts';
import { extractFeatures } from '../datasets/features/extract.ts';
import { FeatureCache } from '../datasets/features/cache.ts';
import type { Suite } from './suite.ts';
import { loadDataset } from './data.ts';
import type { SpectrogramExample } from './run-folder/records.ts';
import type { RunReader } from './run-folder/read-run.ts';
import type { Results } from './stats/evaluate-run.ts';

export type ErrorPicture = SpectrogramExample & { predicted: string; confidence: number };

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
export async function spectrogramExamples(suite: Suite, clips: Clip[], cache: FeatureCache): Promise<SpectrogramExample[]> {
  const seen = new Set<string>();
  const out: SpectrogramExample[] = [];
  for (const clip of clips) {
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
 * The clips named by id, as the run recorded them: a file clip from its path in data.json (its
 * content checked against the hash the run recorded), a synthetic one generated again from the
 * suite. Returns the clips found and why the others are not.
 */
function runClips(run: RunReader, ids: Set<string>): { clips: Map<string, Clip>; missing: string[] } {
  const suite = run.suite();
  const clips = new Map<string, Clip>();
  const missing: string[] = [];
  const recorded = run.data().clips.filter((c) => ids.has(c.id));
  // Generated clips carry their corpus's own label: the class is the one the run recorded.
  const synthetic = new Map(recorded.filter((c) => c.path === null).map((c) => [c.id, c.emotion]));
  if (synthetic.size)
    for (const d of suite.datasets.filter((x) => x.corpus === 'synthetic'))
      for (const c of loadDataset(d, suite.features.sample_rate).clips) if (synthetic.has(c.id)) clips.set(c.id, { ...c, emotion: synthetic.get(c.id)! });
  for (const c of recorded) {
    if (c.path === null) continue;
    try {
      const bytes = readFileSync(c.path);
      if (createHash('sha256').update(bytes).digest('hex') !== c.hash) missing.push(`${c.path} changed since the run`);
      else clips.set(c.id, { ...c, source: { kind: 'file', path: c.path } } as Clip);
    } catch (e) {
      missing.push(`${c.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return { clips, missing };
}

/** Pictures of each model's `perModel` most confident errors, keyed by model, and why some are missing. */
export async function errorPictures(run: RunReader, results: Results, perModel = 3): Promise<{ byModel: Map<string, ErrorPicture[]>; note: string | null }> {
  const byModel = new Map<string, ErrorPicture[]>();
  const wanted = new Set(results.models.flatMap((m) => m.evaluation.overconfidence.confident_errors.slice(0, perModel).map((e) => e.clip)));
  if (wanted.size === 0) return { byModel, note: null };
  const { clips, missing } = runClips(run, wanted);
  const suite = run.suite();
  const cache = new FeatureCache(null);
  const made = new Map<string, SpectrogramExample | null>();
  for (const m of results.models) {
    const list: ErrorPicture[] = [];
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
  const note = missing.length
    ? `the clips could not be read here (${missing[0]}${missing.length > 1 ? `, and ${missing.length - 1} more` : ''})`
    : [...made.values()].some((v) => v === null)
      ? 'some clips could not be read here'
      : null;
  return { byModel, note };
}
