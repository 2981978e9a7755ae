/**
 * The records of a run folder that evaluation reads: a job's result (its test probabilities and
 * what its fit reported), a failed job, the data manifest (data.json) and each process's record
 * (shards/). harness/run-folder/ writes and reads them; this is their shape.
 */
import type { FeatureKind } from '../../datasets/features/registry.ts';
import type { FitReport } from '../../models/classifier.ts';
import type { Clip, LabelMappingRow, SkippedFile } from '../../datasets/types.ts';
import type { LeakageAudit } from './leakage.ts';
import type { ValidationCalibration } from './temperature.ts';

export interface JobSpec {
  id: string;
  /** The split seed. */
  seed: number;
  /** The seed of the model's initialisation and batch order (the split seed unless model_seeds is set; absent in older runs). */
  modelSeed?: number;
  fold: string;
  model: string;
}

/** What a finished job leaves in jobs/<id>.json. */
export interface JobResult extends JobSpec {
  suiteHash: string;
  /** sha256 of the fold's clips (ids, content hashes, labels): the job is current only while its fold is. */
  foldFingerprint: string;
  family: string;
  features: FeatureKind;
  fit: FitReport;
  temperature: number;
  temperatureFoundBy: string;
  /** Raw and temperature-scaled probabilities on the validation clips (null: no validation or no scaling). */
  validation: ValidationCalibration | null;
  /** Training clips per class (class order), before augmentation. */
  trainClassCounts: number[];
  /** Test clip ids and their n × k probabilities. */
  test: { clips: string[]; probs: number[][] };
  /** The same for the validation clips, raw (what an ensemble's weights and temperature are fitted on; absent in older runs). */
  val?: { clips: string[]; probs: number[][] };
  trainClips: number;
  trainCopies: number;
  valClips: number;
  seconds: number;
}

export interface JobFailure extends JobSpec {
  error: string;
  at: string;
}

/** data.json: the clips of the run (without their decoded source), what was skipped, the audit. */
export interface RunData {
  classes: string[];
  clips: (Omit<Clip, 'source'> & { path: string | null; hash: string })[];
  skipped: SkippedFile[];
  /** Files used with a note (absent in runs of older versions). */
  notes?: SkippedFile[];
  labelMapping: LabelMappingRow[];
  leakage: (LeakageAudit & { seed: number })[];
  /** What was done to make the folds (absent when nothing was): committed folds' missing clips dropped, validation drawn. */
  splitNotes?: string[];
}

/** shards/<name>.json: what one process did (cache, clips that failed to decode, time, machine). */
export interface ShardRecord {
  cache: { hits: number; misses: number; corrupt?: number; dir?: string | null };
  featureFailures: SkippedFile[];
  seconds: number;
  started?: string;
  ended?: string;
  workers?: number;
  cpu?: string;
  cores?: number;
  peak_rss_mb?: number;
  suiteHash?: string;
}
