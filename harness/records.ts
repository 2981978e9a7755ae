/**
 * The records a run folder holds, in one place: the plan, the data manifest, a job's result and
 * failure. Job files carry a checksum and the fingerprint of the fold they were computed on, so
 * that a damaged file, or one computed on other data, is never read as a result.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { FeatureKind } from '../datasets/feature-kinds.ts';
import type { FeatureInput } from '../datasets/feature-kind.ts';
import type { FitReport } from '../models/classifier.ts';
import type { Clip, SkippedFile } from '../datasets/types.ts';
import type { LabelMappingRow } from './data.ts';
import type { LeakageAudit } from './splits.ts';
import { basename } from 'node:path';
import { writeJson, readJson, type RunFolder } from './runfolder.ts';

export interface JobSpec {
  id: string;
  /** The split seed. */
  seed: number;
  /** The seed of the model's initialisation and batch order (the split seed unless model_seeds is set; absent in older runs). */
  modelSeed?: number;
  fold: string;
  model: string;
}

export interface ValidationCalibration {
  n: number;
  nll_raw: number;
  nll_scaled: number;
  ece_raw: number;
  ece_scaled: number;
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
}

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

/** Whether a job file holds a usable result for this fold; else why not. */
export function currentJob(path: string, fingerprint: string): { ok: true; result: JobResult } | { ok: false; reason: string } {
  const r = readJobFile(path);
  if (!r.ok) return r;
  if (r.result.foldFingerprint !== fingerprint) return { ok: false, reason: "its fold's data changed since it was computed" };
  return r;
}

/** The fingerprint of a fold: its clips' ids, content hashes and labels, train / val / test. */
export function foldFingerprint(ids: string[], hashes: string[], labels: ArrayLike<number>, fold: { train: number[]; val: number[]; test: number[] }): string {
  const part = (idx: number[]) => idx.map((i) => [ids[i], hashes[i], labels[i]]);
  return digest({ train: part(fold.train), val: part(fold.val), test: part(fold.test) });
}

export const dataHash = (ids: string[], hashes: string[], labels: ArrayLike<number>) => digest(ids.map((id, i) => [id, hashes[i], labels[i]]));

/**
 * The run's usable job results: intact files of jobs in the plan, computed on the plan's folds.
 * Anything else in jobs/ (damaged, from other data, from an older plan) is left out and named.
 */
export function readCurrentJobs(folder: RunFolder): { jobs: JobResult[]; stale: { id: string; reason: string }[] } {
  const plan = readJson<PlanRecord>(folder.path('plan.json'));
  const fingerprint = new Map(Object.entries(plan.folds).flatMap(([seed, folds]) => folds.map((f) => [`${seed}/${f.name}`, f.fingerprint] as const)));
  const planned = new Map(plan.jobs.map((j) => [j.id, j]));
  const jobs: JobResult[] = [];
  const stale: { id: string; reason: string }[] = [];
  for (const file of folder.listJson('jobs')) {
    const id = basename(file, '.json');
    const spec = planned.get(id);
    if (!spec) {
      stale.push({ id, reason: 'not a job of the current plan' });
      continue;
    }
    const r = currentJob(file, fingerprint.get(`${spec.seed}/${spec.fold}`) ?? '');
    if (r.ok) jobs.push(r.result);
    else stale.push({ id, reason: r.reason });
  }
  return { jobs, stale };
}

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
