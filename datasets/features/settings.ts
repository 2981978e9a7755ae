/**
 * The front end's settings, each stated once: type, schema (with bounds) and default together.
 * The suite format assembles these; `serbench schema` prints them with their defaults.
 */
import type { ObjectSchema, Schema } from '../../core/schema.ts';

export interface FeatureSettings {
  sample_rate: number;
  duration: number;
  trim_db: number;
  n_fft: number;
  hop_length: number;
  n_mels: number;
  n_mfcc: number;
}

export const DEFAULT_FEATURES: FeatureSettings = { sample_rate: 16000, duration: 3, trim_db: 40, n_fft: 512, hop_length: 256, n_mels: 64, n_mfcc: 40 };

export const FEATURE_SCHEMA: ObjectSchema = {
  type: 'object',
  description: "the front end every feature kind shares (and the kinds' own blocks)",
  properties: {
    sample_rate: {
      type: 'number',
      integer: true,
      minimum: 4000,
      maximum: 96000,
      default: DEFAULT_FEATURES.sample_rate,
      description: 'clips are resampled to it (Hz)',
    },
    duration: {
      type: 'number',
      minimum: 0.1,
      maximum: 60,
      description: 'seconds: clips are trimmed of silence, then centre-cropped or zero-padded',
      default: DEFAULT_FEATURES.duration,
    },
    trim_db: {
      type: 'number',
      minimum: 0,
      maximum: 120,
      description: 'silence threshold below peak for trimming (0 = no trimming)',
      default: DEFAULT_FEATURES.trim_db,
    },
    n_fft: { type: 'number', integer: true, minimum: 16, maximum: 65536, default: DEFAULT_FEATURES.n_fft, description: 'STFT window and FFT size (samples)' },
    hop_length: { type: 'number', integer: true, minimum: 1, maximum: 65536, default: DEFAULT_FEATURES.hop_length, description: 'STFT hop (samples)' },
    n_mels: { type: 'number', integer: true, minimum: 4, maximum: 512, default: DEFAULT_FEATURES.n_mels, description: 'mel bands of the log-mel image' },
    n_mfcc: {
      type: 'number',
      integer: true,
      minimum: 2,
      maximum: 512,
      default: DEFAULT_FEATURES.n_mfcc,
      description: 'MFCC coefficients (the mfcc image, the summary vector)',
    },
  },
};

export const AUGMENTATIONS = ['noise', 'time_stretch', 'pitch_shift', 'gain', 'time_shift', 'spec_augment'] as const;

export type Range = number | [number, number];
export interface AugmentOp {
  type: (typeof AUGMENTATIONS)[number];
  p?: number;
  snr_db?: Range;
  rate?: Range;
  semitones?: Range;
  db?: Range;
  max_seconds?: number;
  time_masks?: number;
  time_width?: number;
  freq_masks?: number;
  freq_width?: number;
}

const range = (d: string, minimum?: number): Schema => ({
  anyOf: [
    { type: 'number', minimum },
    { type: 'array', items: { type: 'number', minimum }, minItems: 2, maxItems: 2 },
  ],
  description: `${d}: a value, or [low, high] drawn uniformly per copy`,
});
const prob: Schema = { type: 'number', minimum: 0, maximum: 1, description: 'probability that this op is applied to a copy' };

export const AUGMENT_SCHEMA: Schema = {
  type: 'object',
  description: 'augmented copies of training clips (never validation or test ones), drawn per copy',
  properties: {
    copies: {
      type: 'number',
      integer: true,
      minimum: 0,
      maximum: 50,
      description: 'augmented copies per training clip (default: 1 when ops are given, else 0)',
    },
    ops: {
      type: 'array',
      description: 'the operations each copy goes through, in order',
      items: {
        type: 'object',
        required: ['type'],
        properties: {
          type: {
            type: 'string',
            enum: AUGMENTATIONS,
            description: 'noise, time stretch, pitch shift, gain and time shift act on the waveform; spec_augment masks the image',
          },
          p: prob,
          snr_db: range('noise SNR in dB'),
          rate: range('time-stretch rate', 0.1),
          semitones: range('pitch shift in semitones'),
          db: range('gain in dB'),
          max_seconds: { type: 'number', minimum: 0, maximum: 60, description: 'time shift: the largest shift, in seconds, either way' },
          time_masks: { type: 'number', integer: true, minimum: 0, maximum: 100, description: 'spec_augment: masks along time' },
          time_width: { type: 'number', integer: true, minimum: 1, maximum: 10000, description: 'spec_augment: the widest time mask, in frames' },
          freq_masks: { type: 'number', integer: true, minimum: 0, maximum: 100, description: 'spec_augment: masks along frequency' },
          freq_width: { type: 'number', integer: true, minimum: 1, maximum: 512, description: 'spec_augment: the widest frequency mask, in bands' },
        },
      },
    },
  },
};

/** What each op needs besides its type (spec_augment has defaults for all its fields). */
export const AUGMENT_NEEDS: Record<AugmentOp['type'], keyof AugmentOp | undefined> = {
  noise: 'snr_db',
  time_stretch: 'rate',
  pitch_shift: 'semitones',
  gain: 'db',
  time_shift: 'max_seconds',
  spec_augment: undefined,
};
