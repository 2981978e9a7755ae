/**
 * The contract of a feature kind: what the extractor hands it (one clip copy's signal) and what
 * it returns (a cached array). Each kind is one file implementing this plus one entry in
 * datasets/features/registry.ts.
 */
import type { Clip } from '../types.ts';
import type { AugmentOp, FeatureSettings } from './settings.ts';
import type { Matrix } from '../audio/spectral.ts';
import type { CachedArray } from './cache.ts';
import type { Schema } from '../../core/schema.ts';

/** A file a feature kind reads, and the sha256 (first 32 hex digits) of its content. */
export interface FeatureInput {
  kind: string;
  file: string;
  sha256: string;
}

/** One clip copy as the extractor prepared it: read, resampled, trimmed, augmented. */
/** S: the settings the extractor was given (the front end's, plus the kinds' blocks). */
export interface ClipSignal<S extends FeatureSettings = FeatureSettings> {
  clip: Clip;
  settings: S;
  /** The trimmed (for a copy, augmented) speech, cropped to `duration` when longer; not padded. */
  speech: Float32Array;
  /** The recording as read and resampled: not trimmed, augmented or cropped (eGeMAPS reads it whole). */
  recording: Float32Array;
  /** The same fixed to `duration` seconds: centre-cropped or zero-padded. */
  fixed: Float32Array;
  /** Mel power spectrogram of `fixed`, computed once for every kind that asks. */
  mel(): Matrix;
  /** The copy's spec_augment draw, if it has one: image kinds mask their image with it. */
  mask?: { op: AugmentOp; seed: number };
}

export interface FeatureKindSpec<S extends FeatureSettings = FeatureSettings> {
  description: string;
  /** image: [bands, frames] for the CNN and ViT; vector: [d] for SVM, tree, MLP; none: no features (a model that brings its own outputs). */
  layout: 'image' | 'vector' | 'none';
  /** Whether augmented copies of training clips exist for it (false: it trains on the clips themselves). */
  augmentable: boolean;
  /** Bumped when the kind's definition changes, so that features cached before are not reused. */
  version?: number;
  /** Its own block of settings under `features:` (e.g. `features.embedding`), if it has one. */
  settings?: {
    key: string;
    schema: Schema;
    /** Fields of the block that are file paths: resolved against the suite file, checked to exist. */
    paths: string[];
  };
  /**
   * The files it reads besides the clips (an encoder, embedding files), with their content
   * hashes: the run's identity holds them, so a changed encoder never reuses old results.
   */
  inputs?(settings: S): FeatureInput[];
  /** What the cache key needs besides the clip's content and the settings, e.g. the encoder file's hash. */
  identity?(settings: S, clip: Clip): string;
  compute(signal: ClipSignal<S>): CachedArray | Promise<CachedArray>;
  /** Values per sample as far as the settings tell before extraction (cost estimates; an encoder's width is a guess). */
  size(settings: S): number;
}
