/** The harmonized emotion vocabulary every corpus label is mapped into. */
export const EMOTIONS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'] as const;
export type Emotion = (typeof EMOTIONS)[number];
export type Gender = 'female' | 'male';

/** Where a clip's samples come from: a file on disk, or the synthetic generator. */
export type ClipSource = { kind: 'file'; path: string } | { kind: 'synthetic'; spec: UtteranceSpec };

/** A recording condition of the synthetic corpus (each is a corpus of its own). */
export interface RecordingCondition {
  name: string;
  /** Signal-to-noise ratio of added background noise, dB, for speech at neutral loudness. */
  snrDb: number;
  /** Telephone-like band limit (300–3400 Hz). */
  bandLimit: boolean;
}

/** Everything needed to regenerate one clip exactly; also its cache key. */
export interface UtteranceSpec {
  version: number;
  seed: number;
  sampleRate: number;
  duration: number;
  emotion: Emotion;
  speakerF0: number;
  formantScale: number;
  condition: RecordingCondition;
}

/** One utterance with everything we know about it. Fields are what fairness slices group by. */
export interface Clip {
  /** Unique within a run: `<corpus>/<file stem>`. */
  id: string;
  source: ClipSource;
  corpus: string;
  speaker: string;
  gender?: Gender;
  age?: number;
  race?: string;
  ethnicity?: string;
  emotion: Emotion;
  /** The corpus's own label, before harmonization (shown in the report's label mapping). */
  originalLabel: string;
  intensity?: string;
  sentence?: string;
  /** Seconds of audio at the source's own rate. */
  duration?: number;
  /** Any other attribute a manifest gives (language, condition, …): each can be a fairness slice. */
  attributes?: Record<string, string>;
}

/** A file a loader looked at and did not use, with the reason. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** How one corpus label became a class of the suite (or was dropped), with its clip count. */
export interface LabelMappingRow {
  corpus: string;
  originalLabel: string;
  emotion: Emotion;
  /** The class it counts as, or null when dropped. */
  label: Emotion | null;
  clips: number;
}

export interface LoadResult {
  clips: Clip[];
  skipped: SkippedFile[];
  /** Files used, with something worth saying (path, note). */
  notes?: SkippedFile[];
}

export function clipPath(clip: Clip): string {
  return clip.source.kind === 'file' ? clip.source.path : `synthetic:${clip.id}`;
}
