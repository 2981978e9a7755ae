/**
 * `serbench predict`: a run's fitted models applied to recordings (WAV files, folders of them,
 * manifests), through the front end they were trained with. One job's model (--job), or the mean
 * of a model's jobs' probabilities (every fold's model; said in the output). A recording that is a
 * clip of the run is named and labelled as the run names it.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { Clip } from '../../datasets/types.ts';
import { walk } from '../../datasets/corpora/load.ts';
import { loadManifest } from '../../datasets/corpora/manifest.ts';
import { extractFeatures } from '../../datasets/features/extract.ts';
import { FeatureCache } from '../../datasets/features/cache.ts';
import { FEATURE_KINDS, featureInputs, type FeatureKind, type SuiteFeatures } from '../../datasets/features/registry.ts';
import { zScored } from '../../datasets/features/store.ts';
import { loadClassifier } from '../../models/registry.ts';
import { readRun, type RunReader } from '../run-folder/read-run.ts';
import type { SavedModel } from '../run-folder/records.ts';
import { predictionsHeader, toCsv } from '../run-folder/write-results.ts';

export interface PredictOptions {
  /** A model of the run (default: its only one). */
  model?: string;
  /** One job of it (default: the mean over the model's jobs). */
  job?: string;
}

export interface Prediction {
  clip: Clip;
  /** The job, or null for the mean over jobs. */
  saved: SavedModel | null;
  probs: number[];
}

/** The saved models the options name, with what they are of. */
function chosenModels(run: RunReader, o: PredictOptions): { name: string; saved: SavedModel[] } {
  const jobs = run.current().jobs;
  if (o.job) {
    const j = jobs.find((x) => x.id === o.job);
    if (!j) throw new Error(`${run.dir}: no finished job ${o.job} (its jobs: ${jobs.map((x) => x.id).join(', ')})`);
    return { name: j.model, saved: [run.model(j.id)] };
  }
  const names = [...new Set(jobs.map((j) => j.model))];
  const name = o.model ?? (names.length === 1 ? names[0] : undefined);
  if (!name) throw new Error(`${run.dir} has models ${names.join(', ')}: name one with --model (or a job with --job)`);
  const own = jobs.filter((j) => j.model === name);
  if (!own.length) throw new Error(`${run.dir}: no finished job of model ${name} (its models: ${names.join(', ')})`);
  return { name, saved: own.map((j) => run.model(j.id)) };
}

/** The recordings the arguments name: WAV files, folders (every WAV below), manifests. Clips of the run keep the run's names and labels. */
export function inputClips(run: RunReader, inputs: string[]): Clip[] {
  const ofRun = new Map(
    run
      .data()
      .clips.filter((c) => c.path)
      .map((c) => [resolve(c.path!), c]),
  );
  const clips: Clip[] = [];
  const ids = new Set<string>();
  const add = (path: string, fallback: Omit<Clip, 'id' | 'source'> & { id: string }) => {
    const known = ofRun.get(resolve(path));
    const clip = (known ? { ...known, source: { kind: 'file', path } } : { ...fallback, source: { kind: 'file', path } }) as Clip;
    if (ids.has(clip.id)) clip.id = `${clip.id}#${ids.size}`;
    ids.add(clip.id);
    clips.push(clip);
  };
  const unlabelled = (path: string) => ({
    id: `input/${path
      .split('/')
      .pop()!
      .replace(/\.wav$/i, '')}`,
    corpus: 'input',
    speaker: 'unknown',
    emotion: undefined as never,
    originalLabel: '',
  });
  for (const input of inputs) {
    if (!existsSync(input)) throw new Error(`${input}: no such file or folder`);
    if (statSync(input).isDirectory()) for (const f of walk(input).files.filter((x) => /\.wav$/i.test(x))) add(f, unlabelled(f));
    else if (['.csv', '.jsonl'].includes(extname(input).toLowerCase())) for (const c of loadManifest(input).clips) add((c.source as { path: string }).path, c);
    else add(input, unlabelled(input));
  }
  if (!clips.length) throw new Error(`no recordings in ${inputs.join(', ')}`);
  return clips;
}

/** The features of the clips, as the model was trained on them (its kind, the front end's settings). */
async function featuresOf(clips: Clip[], saved: SavedModel): Promise<{ x: Float32Array; shape: number[] }> {
  const kind = saved.features as FeatureKind;
  if (FEATURE_KINDS[kind].layout === 'none')
    throw new Error(`model ${saved.job.model} brings its own outputs (type: predictions): it has nothing to apply to new recordings`);
  const settings = saved.featureSettings as SuiteFeatures;
  // The files the features read (an encoder, embeddings) must be those the model was trained with.
  const now = featureInputs(settings, [kind]);
  for (const was of saved.featureInputs.filter((f) => f.kind === kind))
    if (!now.some((f) => f.file === was.file && f.sha256 === was.sha256))
      throw new Error(`${was.file} changed since model ${saved.job.model} was trained on its features`);
  const cache = new FeatureCache(null);
  const rows = [];
  for (const clip of clips) rows.push((await extractFeatures({ clip, kinds: [kind], settings, copy: 0, ops: [], seed: saved.job.seed }, cache))[kind]!);
  const d = rows[0].data.length;
  const x = new Float32Array(rows.length * d);
  rows.forEach((r, i) => x.set(r.data, i * d));
  return { x: normalized(x, rows[0].shape, clips, saved), shape: rows[0].shape };
}

/** The features normalized as the model's were in its run: per utterance, or per speaker over the inputs of each speaker. */
function normalized(x: Float32Array, shape: number[], clips: Clip[], saved: SavedModel): Float32Array {
  if (!saved.normalize) return x;
  if (saved.normalize === 'per_speaker' && clips.some((c) => c.speaker === 'unknown'))
    throw new Error(`model ${saved.job.model} normalizes features per speaker: name each recording's speaker (give a manifest with a speaker column)`);
  const d = shape.reduce((a, b) => a * b, 1);
  const batch = { n: clips.length, sampleShape: shape, x, ids: clips.map((c) => c.id) };
  return zScored(
    batch,
    saved.normalize as 'per_speaker' | 'per_utterance',
    clips.map((c) => c.speaker),
    d,
  );
}

/** Apply a run's model to recordings; one row per recording (the mean over jobs unless one job is named). */
export async function predictRecordings(
  runDir: string,
  inputs: string[],
  o: PredictOptions = {},
): Promise<{ model: string; jobs: string[]; classes: string[]; rows: Prediction[] }> {
  const run = readRun(runDir);
  const { name, saved } = chosenModels(run, o);
  const clips = inputClips(run, inputs);
  const classes = saved[0].classes;
  const sum = clips.map(() => new Float64Array(classes.length));
  for (const s of saved) {
    const { x, shape } = await featuresOf(clips, s);
    const model = await loadClassifier(s.model);
    const p = await model.predictProba({ n: clips.length, sampleShape: shape, x, ids: clips.map((c) => c.id) });
    clips.forEach((_, i) => {
      for (let c = 0; c < classes.length; c++) sum[i][c] += p[i * classes.length + c] / saved.length;
    });
  }
  return {
    model: name,
    jobs: saved.map((s) => s.job.id),
    classes,
    rows: clips.map((clip, i) => ({ clip, saved: saved.length === 1 ? saved[0] : null, probs: Array.from(sum[i]) })),
  };
}

/** The rows as predictions.csv has them (the mean over jobs has no seed, fold or temperature). */
export function predictionsCsv(model: string, classes: string[], rows: Prediction[]): string {
  return toCsv(
    predictionsHeader(classes),
    rows.map(({ clip, saved, probs }) => {
      const best = probs.reduce((b, v, i) => (v > probs[b] ? i : b), 0);
      const j = saved?.job;
      return [
        model,
        j?.seed,
        j ? (j.modelSeed ?? j.seed) : undefined,
        j?.fold,
        clip.id,
        clip.corpus,
        clip.speaker,
        clip.gender,
        clip.age,
        clip.intensity,
        clip.emotion,
        classes[best],
        probs[best],
        saved?.temperature,
        ...probs,
      ];
    }),
  );
}

/** The command: a table on stdout, the CSV where --out says. */
export async function predictCommand(runDir: string, inputs: string[], o: PredictOptions & { out?: string }): Promise<string> {
  const r = await predictRecordings(runDir, inputs, o);
  const csv = predictionsCsv(r.model, r.classes, r.rows);
  if (o.out) writeFileSync(o.out, csv);
  const who = r.jobs.length === 1 ? `job ${r.jobs[0]}` : `the mean of its ${r.jobs.length} jobs' probabilities (${r.jobs.join(', ')})`;
  const top = (p: number[]) =>
    p
      .map((v, i) => [r.classes[i], v] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([c, v]) => `${c} ${v.toFixed(3)}`)
      .join(', ');
  const width = Math.max(4, ...r.rows.map((x) => x.clip.id.length));
  const lines = [
    `${r.model}: ${who}`,
    `${'clip'.padEnd(width)}  truth      most probable`,
    ...r.rows.map((x) => `${x.clip.id.padEnd(width)}  ${(x.clip.emotion ?? '—').padEnd(9)}  ${top(x.probs)}`),
  ];
  if (o.out) lines.push(`probabilities: ${o.out}`);
  return lines.join('\n') + '\n';
}
