/**
 * Feature extraction for one clip copy: the clip is read, resampled, trimmed, augmented (a
 * training copy) and fixed to the suite's duration once, and each requested kind of
 * datasets/features/registry.ts computes its feature from that. Results go through the feature cache.
 */
import type { Clip } from '../types.ts';
import type { AugmentOp } from './settings.ts';
import { FEATURE_KINDS, frontEnd, type FeatureKind, type SuiteFeatures } from './registry.ts';
import type { ClipSignal, FeatureKindSpec } from './kind.ts';
import { readClip, trimSilence, fixLength, RESAMPLER } from '../audio/read.ts';
import { planCopy, augmentWaveform, type AppliedOp } from '../audio/augment.ts';
import { melSpectrogram, type Matrix } from '../audio/spectral.ts';
import { FeatureCache, type CachedArray } from './cache.ts';
import { Rng } from '../../core/random.ts';

/** In every cache key: 8 = entries carry a checksum of their floats (older entries are never read). */
export const FEATURE_VERSION = 8;

/** A clip's features by kind: images are stored band-major (H = bands, W = frames). */
export type FeatureSet = Partial<Record<FeatureKind, CachedArray>>;

export interface ExtractRequest {
  clip: Clip;
  kinds: FeatureKind[];
  settings: SuiteFeatures;
  /** 0 = the clip itself; 1.. = augmented copies (training clips only). */
  copy: number;
  ops: AugmentOp[];
  seed: number;
}

/** The augmentation drawn for a clip copy (none for the clip itself), and the generator that drew it. */
function augmentPlan(req: ExtractRequest): { plan: AppliedOp[]; rng: Rng } {
  const rng = new Rng(`augment:${req.seed}:${req.clip.id}:${req.copy}`);
  return { plan: req.copy > 0 ? planCopy(req.ops, rng) : [], rng };
}

/** The feature cache key of one feature of a clip copy, given its source's content hash. */
export function featureKey(req: ExtractRequest, contentHash: string, kind: FeatureKind): string {
  const { plan } = augmentPlan(req);
  const spec = FEATURE_KINDS[kind] as FeatureKindSpec<SuiteFeatures>;
  const block = spec.settings?.key;
  return FeatureCache.key({
    v: FEATURE_VERSION,
    hash: contentHash,
    kind,
    kv: spec.version,
    s: frontEnd(req.settings),
    plan,
    resampler: RESAMPLER,
    spec: plan.some((p) => p.type === 'spec_augment') ? req.ops : undefined,
    // A kind with its own settings or inputs (an encoder file, embedding files): those too.
    own: block ? (req.settings as unknown as Record<string, unknown>)[block] : undefined,
    identity: spec.identity?.(req.settings, req.clip),
  });
}

function allFinite(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

/** Extract (or fetch from the cache) the requested features of one clip copy. */
export async function extractFeatures(req: ExtractRequest, cache: FeatureCache, sourceHash?: Map<string, string>): Promise<FeatureSet> {
  const { clip, settings: s } = req;
  const { plan, rng } = augmentPlan(req);
  const maskPlan = plan.find((p) => p.type === 'spec_augment');
  const maskOp = maskPlan && req.ops.find((o) => o.type === 'spec_augment')!;
  const keyOf = (hash: string, kind: FeatureKind) => featureKey(req, hash, kind);
  const out: FeatureSet = {};
  const known = sourceHash?.get(clip.id);
  if (known) {
    for (const kind of req.kinds) {
      const hit = cache.get(keyOf(known, kind));
      if (hit) out[kind] = hit;
    }
    if (req.kinds.every((k) => out[k])) return out;
  }
  const audio = await readClip(clip, s.sample_rate);
  if (cache.enabled) sourceHash?.set(clip.id, audio.contentHash());
  let y = trimSilence(audio.samples, s.trim_db);
  if (plan.length) y = await augmentWaveform(y, s.sample_rate, plan, rng);
  const n = Math.round(s.duration * s.sample_rate);
  const fixed = fixLength(y, n);
  let mel: Matrix | undefined;
  const signal: ClipSignal<SuiteFeatures> = {
    clip,
    settings: s,
    speech: y.length > n ? fixed : y,
    recording: audio.samples,
    fixed,
    mel: () => (mel ??= melSpectrogram(fixed, s.sample_rate, s.n_fft, s.hop_length, s.n_mels)),
    mask: maskPlan ? { op: maskOp!, seed: maskPlan.value! } : undefined,
  };
  for (const kind of req.kinds) {
    if (out[kind]) continue;
    if (req.copy > 0 && !FEATURE_KINDS[kind].augmentable) throw new Error(`${clip.id}: ${kind} features have no augmented copies`);
    // Without a cache folder there is nothing to look up, so the source is never hashed.
    const key = cache.enabled ? keyOf(audio.contentHash(), kind) : '';
    const hit = cache.get(key);
    if (hit) {
      out[kind] = hit;
      continue;
    }
    const value = await (FEATURE_KINDS[kind] as FeatureKindSpec<SuiteFeatures>).compute(signal);
    if (!allFinite(value.data)) throw new Error(`${clip.id}: non-finite ${kind} feature`);
    cache.put(key, value);
    out[kind] = value;
  }
  return out;
}
