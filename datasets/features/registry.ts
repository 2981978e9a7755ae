/**
 * The feature kinds: one entry each, naming its layout (image or vector), whether augmented
 * copies exist, its own settings block if any, and how a clip copy becomes the feature. The
 * extractor, the suite format (its enum and checks) and `serbench schema` read this table and
 * nothing else; adding a kind is one file plus one entry here (and, if it has settings, one
 * line in KindSettings).
 */
import type { FeatureInput, FeatureKindSpec } from './kind.ts';
import type { FeatureSettings } from './settings.ts';
import { spectralImage, summaryFeature } from './spectral-kinds.ts';
import { egemapsFeature, EGEMAPS_NAMES } from './egemaps/index.ts';
import { EMBEDDING_SCHEMA, DEFAULT_EMBEDDING, embedWaveform, encoderIdentity, type EmbeddingSettings } from './embedding.ts';
import { PRECOMPUTED_SCHEMA, precomputedEmbedding, precomputedIdentity, precomputedInputs, type PrecomputedSettings } from './precomputed.ts';

/** The settings blocks of the kinds that have one, under `features:` in a suite. */
export interface KindSettings {
  embedding?: EmbeddingSettings;
  precomputed?: PrecomputedSettings;
}

/** Everything under a suite's `features:`: the front end's settings and the kinds' blocks. */
export type SuiteFeatures = FeatureSettings & KindSettings;

const kind = (k: FeatureKindSpec<SuiteFeatures>) => k;
const frames = (s: FeatureSettings) => 1 + Math.floor((s.duration * s.sample_rate) / s.hop_length);
/** An encoder's width is not known before it runs: base models' 768. */
const ENCODER_WIDTH_GUESS = 768;

export const FEATURE_KINDS = {
  logmel: kind({
    description: 'log-mel spectrogram image (dB), n_mels × frames',
    layout: 'image',
    augmentable: true,
    compute: (c) => spectralImage(c, 'logmel'),
    size: (s) => s.n_mels * frames(s),
  }),
  mfcc: kind({
    description: 'MFCC image, n_mfcc × frames',
    layout: 'image',
    augmentable: true,
    compute: (c) => spectralImage(c, 'mfcc'),
    size: (s) => s.n_mfcc * frames(s),
  }),
  summary: kind({
    description: 'summary vector: means and deviations of MFCC, chroma, ZCR, RMS, centroid, and mean |ΔMFCC|',
    layout: 'vector',
    augmentable: true,
    compute: summaryFeature,
    size: (s) => 2 * (s.n_mfcc + 15) + s.n_mfcc,
  }),
  egemaps: kind({
    description:
      "eGeMAPS v02: the 88 functionals of the extended Geneva Minimalistic Acoustic Parameter Set (pitch, loudness, voice quality, formants, spectral balance, timing) in openSMILE's names and order, of the whole recording (not trimmed; no augmented copies)",
    layout: 'vector',
    augmentable: false,
    version: 2,
    compute: egemapsFeature,
    size: () => EGEMAPS_NAMES.length,
  }),
  embedding: kind({
    description: 'a local ONNX speech encoder (wav2vec2, HuBERT, WavLM… exported by you) pooled over time; settings in features.embedding',
    layout: 'vector',
    augmentable: true,
    settings: { key: 'embedding', schema: EMBEDDING_SCHEMA, paths: ['model'] },
    inputs: (s) => [{ kind: 'embedding', file: embeddingSettings(s).model, sha256: encoderIdentity(embeddingSettings(s).model) }],
    identity: (s) => encoderIdentity(embeddingSettings(s).model),
    compute: (c) => embedWaveform(c.speech, embeddingSettings(c.settings)),
    size: () => ENCODER_WIDTH_GUESS,
  }),
  waveform: kind({
    description: 'the waveform itself, fixed to `duration` seconds at sample_rate: for a pretrained classifier that takes audio (type: onnx)',
    layout: 'vector',
    augmentable: true,
    compute: (c) => ({ shape: [c.fixed.length], data: Float32Array.from(c.fixed) }),
    size: (s) => Math.round(s.duration * s.sample_rate),
  }),
  none: kind({
    description: 'no features: for a model that brings its own outputs (type: predictions); nothing is extracted',
    layout: 'none',
    augmentable: false,
    compute: () => ({ shape: [0], data: new Float32Array(0) }),
    size: () => 0,
  }),
  precomputed: kind({
    description: 'embeddings made elsewhere, read from .npy files (no augmented copies); settings in features.precomputed',
    layout: 'vector',
    augmentable: false,
    settings: { key: 'precomputed', schema: PRECOMPUTED_SCHEMA, paths: ['path', 'ids'] },
    inputs: (s) => precomputedInputs(precomputedSettings(s)).map((x) => ({ kind: 'precomputed', ...x })),
    identity: (s, clip) => precomputedIdentity(precomputedSettings(s), clip),
    compute: (c) => precomputedEmbedding(precomputedSettings(c.settings), c.clip),
    size: () => ENCODER_WIDTH_GUESS,
  }),
} satisfies Record<string, FeatureKindSpec<SuiteFeatures>>;

export type FeatureKind = keyof typeof FEATURE_KINDS;
export const FEATURE_KIND_NAMES = Object.keys(FEATURE_KINDS) as FeatureKind[];

function embeddingSettings(s: SuiteFeatures): EmbeddingSettings {
  if (!s.embedding) throw new Error('the embedding feature needs features.embedding.model: the encoder .onnx file');
  return { ...DEFAULT_EMBEDDING, ...s.embedding };
}

function precomputedSettings(s: SuiteFeatures): PrecomputedSettings {
  if (!s.precomputed) throw new Error('the precomputed feature needs features.precomputed.path');
  return s.precomputed;
}

/** The files the suite's feature kinds read besides the clips, hashed (for the run's identity and provenance). */
export function featureInputs(s: SuiteFeatures, kinds: FeatureKind[]): FeatureInput[] {
  return [...new Set(kinds)].flatMap((k) => (FEATURE_KINDS[k] as FeatureKindSpec<SuiteFeatures>).inputs?.(s) ?? []);
}

/** The settings blocks' defaults, filled where a block is given. */
export function withKindDefaults(s: SuiteFeatures): SuiteFeatures {
  return s.embedding ? { ...s, embedding: { ...DEFAULT_EMBEDDING, ...s.embedding } } : s;
}

/** The keys of the kinds' settings blocks under `features:`. */
const BLOCKS = new Set<string>(Object.values(FEATURE_KINDS).flatMap((k: FeatureKindSpec<SuiteFeatures>) => (k.settings ? [k.settings.key] : [])));

/** The front end's settings alone (what the spectral kinds read; the cache key of every kind holds them). */
export function frontEnd(s: SuiteFeatures): FeatureSettings {
  return Object.fromEntries(Object.entries(s).filter(([key]) => !BLOCKS.has(key))) as unknown as FeatureSettings;
}
