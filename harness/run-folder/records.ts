/**
 * The run folder's own records: the plan, a job file written with its checksum and read back only
 * when intact, fold and data fingerprints, the spectrogram examples. Job files carry the
 * fingerprint of the fold they were computed on, so that a damaged file, or one computed on other
 * data, is never read as a result. (What evaluation reads of them: harness/stats/run-records.ts.)
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { FeatureInput } from '../../datasets/features/kind.ts';
import type { JobSpec, JobResult } from '../stats/run-records.ts';
import type { SerializedModel } from '../../models/classifier.ts';
import { writeJson, type RunFolder } from './folder.ts';

/** plan.json: the suite's identity, its data's identity, every job and every fold's fingerprint. */
export interface PlanRecord {
  suite: string;
  suitePath: string;
  suiteHash: string;
  /** sha256 over every clip's id, content hash and label. */
  dataHash: string;
  /** Files the feature kinds read besides the clips (an ONNX encoder, embedding files), hashed. */
  featureInputs?: FeatureInput[];
  jobs: JobSpec[];
  folds: Record<string, { name: string; train: number; val: number; test: number; fingerprint: string }[]>;
}

const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export function writeJobFile(path: string, result: JobResult): void {
  writeJson(path, { ...result, checksum: digest(result) });
}

/** A job file's result, or why it cannot be used (missing, unreadable, damaged). */
export function readJobFile(path: string): { ok: true; result: JobResult } | { ok: false; reason: string } {
  if (!existsSync(path)) return { ok: false, reason: 'no job file' };
  let parsed: JobResult & { checksum?: string };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return { ok: false, reason: `damaged job file (${(e as Error).message.split('\n')[0]})` };
  }
  const { checksum, ...result } = parsed;
  if (checksum !== digest(result)) return { ok: false, reason: 'damaged job file (checksum does not match)' };
  return { ok: true, result };
}

/** The fingerprint of a fold: its clips' ids, content hashes and labels, train / val / test. */
export function foldFingerprint(ids: string[], hashes: string[], labels: ArrayLike<number>, fold: { train: number[]; val: number[]; test: number[] }): string {
  const part = (idx: number[]) => idx.map((i) => [ids[i], hashes[i], labels[i]]);
  return digest({ train: part(fold.train), val: part(fold.val), test: part(fold.test) });
}

export const dataHash = (ids: string[], hashes: string[], labels: ArrayLike<number>) => digest(ids.map((id, i) => [id, hashes[i], labels[i]]));

/** examples.json: one log-mel picture (≤ 96 frames, band 0 lowest) per corpus and emotion. */
export interface SpectrogramExample {
  corpus: string;
  emotion: string;
  clip: string;
  /** Mel bands. */
  height: number;
  /** Frames shown. */
  width: number;
  hopSeconds: number;
  /** The suite's sample rate: the mel bands span 0 to half of it (absent in older runs). */
  sampleRate?: number;
  image: number[];
}

/**
 * models/<job id>.json: a job's fitted model as itself, with everything needed to apply it to a
 * new recording (`serbench predict`): the classes in order, the feature kind and the front end's
 * settings it was trained on, the hashes of the files those features read, and its temperature.
 */
export interface SavedModel {
  job: JobSpec;
  suiteHash: string;
  classes: string[];
  features: string;
  /** How the features were normalized before the model saw them (absent: not at all). */
  normalize?: string;
  featureSettings: unknown;
  featureInputs: FeatureInput[];
  temperature: number;
  model: SerializedModel;
}

export const modelFile = (folder: RunFolder, job: string) => folder.path('models', `${job}.json`);
