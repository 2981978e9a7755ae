/**
 * Running a suite: load data, split, extract features (cached), train every model of every
 * job (seed × fold × model), save each finished job atomically, then evaluate and write the
 * results and the report site. Finished jobs are skipped when the same command runs again.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import type { Suite, ModelSpec } from './suite.ts';
import { loadSuiteData, type SuiteData } from './data.ts';
import { makeFolds, auditLeakage, SPEAKER_INDEPENDENT, type Fold, type LeakageAudit } from './splits.ts';
import { FeatureCache } from '../datasets/cache.ts';
import { FeaturePool } from '../datasets/feature-pool.ts';
import { FeatureStore } from '../datasets/feature-store.ts';
import { featureInputs } from '../datasets/feature-kinds.ts';
import type { FeatureInput } from '../datasets/feature-kind.ts';
import { createClassifier } from '../models/registry.ts';
import { fitTemperature, floorProbabilities, temperatureNll, calibration, applyTemperature } from './stats/calibration.ts';
import { RunFolder, writeJson, readJson, writeAtomic, removeStaleTemporaries, fileComponent, lockRunFolder } from './runfolder.ts';
import {
  writeJobFile,
  currentJob,
  foldFingerprint,
  dataHash,
  type JobSpec,
  type JobResult,
  type JobFailure,
  type ValidationCalibration,
  type PlanRecord,
  type RunData,
} from './records.ts';
import { Progress, Dashboard, type Terminal } from './progress.ts';
import { clipPath, type SkippedFile } from '../datasets/types.ts';
import { spectrogramExamples } from './examples.ts';
import { SpareCores } from './spare-cores.ts';
import type { FitOptions } from '../models/classifier.ts';

export interface RunOptions {
  out: string;
  /** Feature cache folder shared across runs; null disables caching. */
  cacheDir: string | null;
  /** Feature-extraction worker threads (default: cores; 1 = in this thread). */
  jobs?: number;
  /** Job worker processes running the plan in parallel (default 1: in this process). */
  processes?: number;
  /**
   * Whether a network still training when other job processes run out of jobs takes their
   * cores between epochs (harness/spare-cores.ts). Off by default: its steps then equal those
   * on one core up to float rounding only, and when it happens depends on timing, so a run
   * (or a resumed one) is no longer reproducible to the bit.
   */
  shareCores?: boolean;
  shard?: { index: number; count: number };
  /**
   * Set for job processes: a folder in which they claim the shard's jobs one at a time (a file
   * per job, created exclusively), so that every process takes the next job when it is free,
   * whatever the jobs cost; and the worker's number, which names its record.
   */
  queue?: { dir: string; worker: number };
  quiet?: boolean;
  /**
   * Set for job processes: the pid of the run that forked them, which holds the run folder's
   * lock. A job process whose parent is gone stops at its next epoch or job (see orphaned).
   */
  parentPid?: number;
  /** Set for job processes: the sha256 of every source (clip id → hash), as their parent read them. */
  sourceHashes?: Record<string, string>;
}

/**
 * A job process whose parent was killed alone: it exits at once, writing nothing unfinished.
 * process.ppid is read live from the OS (it becomes the reaper's pid), so this needs no event
 * loop turn, unlike the IPC 'disconnect' event, which a long synchronous fit never yields to.
 */
function exitIfOrphaned(opts: RunOptions): void {
  if (opts.parentPid !== undefined && process.ppid !== opts.parentPid) process.exit(1);
}

/** The suite's identity: what it says (not how it is worded or titled) and the content of the files its feature kinds read. */
/** Claim a job in a queue folder: true for the one process whose exclusive create succeeds. */
function claim(dir: string, id: string): boolean {
  try {
    writeFileSync(join(dir, fileComponent(id)), String(process.pid), { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

export function suiteHash(suite: Suite, inputs: FeatureInput[] = []): string {
  const { source, sourcePath, report, description, ...semantic } = suite;
  (void source, sourcePath, report, description);
  // Without feature inputs the hash is what it was before they existed: older run folders resume.
  const identity = inputs.length ? { ...semantic, featureInputs: inputs.map((i) => i.sha256) } : semantic;
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
}

/**
 * A job's id and file name: injective in (split seed, model seed, fold, model), so no two jobs
 * share a file. Without model_seeds the model seed is the split seed and is not spelled out.
 */
export const jobId = (seed: number, fold: string, model: string, modelSeed?: number) =>
  `s${seed}${modelSeed === undefined ? '' : `_m${modelSeed}`}_${fileComponent(fold)}_${fileComponent(model)}`;

/** Where a fold's clip ids are written: folds/<seed>_<fold>.json. */
export const foldFile = (folder: RunFolder, seed: number, fold: string) => folder.path('folds', `${seed}_${fileComponent(fold)}.json`);

export function planJobs(suite: Suite, foldsBySeed: Map<number, Fold[]>): JobSpec[] {
  const jobs: JobSpec[] = [];
  for (const seed of suite.seeds) {
    for (const fold of foldsBySeed.get(seed)!) {
      // Every (split seed, model seed): the model's initialisation and batch order vary apart from the split.
      for (const modelSeed of suite.model_seeds ?? [seed])
        for (const m of suite.models)
          jobs.push({ id: jobId(seed, fold.name, m.name, suite.model_seeds ? modelSeed : undefined), seed, modelSeed, fold: fold.name, model: m.name });
    }
  }
  return jobs;
}

/** Shard i of n: every n-th job in plan order (deterministic for a suite). */
export const shardOf = (jobs: JobSpec[], s?: { index: number; count: number }) => (s ? jobs.filter((_, i) => i % s.count === s.index) : jobs);

export interface Prepared {
  data: SuiteData;
  foldsBySeed: Map<number, Fold[]>;
  /** "seed/fold" → the fold's fingerprint (its clips' ids, content hashes and labels). */
  fingerprints: Map<string, string>;
  dataHash: string;
  featureInputs: FeatureInput[];
  audits: (LeakageAudit & { seed: number })[];
  jobs: JobSpec[];
  hash: string;
}

export function prepareRun(suite: Suite, knownHashes?: Record<string, string>): Prepared {
  const data = loadSuiteData(suite, knownHashes);
  if (data.clips.length === 0) throw new Error(`suite ${suite.name}: no clips left after loading and label mapping`);
  const foldsBySeed = new Map<number, Fold[]>();
  const audits: (LeakageAudit & { seed: number })[] = [];
  for (const seed of suite.seeds) {
    const folds = makeFolds(data.clips, suite.split, seed);
    foldsBySeed.set(seed, folds);
    for (const f of folds) audits.push({ seed, ...auditLeakage(data.clips, f, SPEAKER_INDEPENDENT.has(suite.split.protocol), data.hashes) });
  }
  const ids = data.clips.map((c) => c.id);
  const fingerprints = new Map<string, string>();
  for (const [seed, folds] of foldsBySeed) for (const f of folds) fingerprints.set(`${seed}/${f.name}`, foldFingerprint(ids, data.hashes, data.labels, f));
  const inputs = featureInputs(
    suite.features,
    suite.models.map((m) => m.features),
  );
  return {
    data,
    foldsBySeed,
    fingerprints,
    dataHash: dataHash(ids, data.hashes, data.labels),
    featureInputs: inputs,
    audits,
    jobs: planJobs(suite, foldsBySeed),
    hash: suiteHash(suite, inputs),
  };
}

/**
 * Write the run's fixed inputs; refuse a folder that holds another suite's run. When the same
 * suite's data changed since the folder was written, says what changed (the jobs whose folds
 * changed then run again; see currentJob).
 */
export function initRunFolder(suite: Suite, p: Prepared, folder: RunFolder): string | null {
  const planFile = folder.path('plan.json');
  let change: string | null = null;
  if (existsSync(planFile)) {
    const old = readJson<PlanRecord>(planFile);
    if (old.suiteHash !== p.hash) {
      throw new Error(
        `${folder.dir} holds a run of a different suite (${old.suite}, ${old.suiteHash}), or of files its features read that have changed since (an encoder, embeddings); use another --out or delete it`,
      );
    }
    if (old.dataHash !== p.dataHash) change = dataChange(folder, p);
  }
  mkdirSync(folder.dir, { recursive: true });
  for (const sub of ['.', 'jobs', 'failed', 'shards']) removeStaleTemporaries(folder.path(sub));
  writeAtomic(folder.path('suite.yaml'), suite.source);
  const plan: PlanRecord = {
    suite: suite.name,
    suitePath: suite.sourcePath,
    suiteHash: p.hash,
    dataHash: p.dataHash,
    ...(p.featureInputs.length ? { featureInputs: p.featureInputs } : {}),
    jobs: p.jobs,
    folds: Object.fromEntries(
      [...p.foldsBySeed].map(([s, f]) => [
        s,
        f.map((x) => ({ name: x.name, train: x.train.length, val: x.val.length, test: x.test.length, fingerprint: p.fingerprints.get(`${s}/${x.name}`)! })),
      ]),
    ),
  };
  writeJson(planFile, plan);
  // Each fold's clip ids, so that others can re-score the run or reuse its folds.
  for (const [seed, folds] of p.foldsBySeed)
    for (const f of folds) {
      const ids = (idx: number[]) => idx.map((i) => p.data.clips[i].id);
      writeJson(foldFile(folder, seed, f.name), { seed, fold: f.name, train: ids(f.train), val: ids(f.val), test: ids(f.test) });
    }
  writeJson(folder.path('data.json'), {
    classes: p.data.classes,
    clips: p.data.clips.map((c, i) => ({
      id: c.id,
      hash: p.data.hashes[i],
      path: c.source.kind === 'file' ? c.source.path : null,
      corpus: c.corpus,
      speaker: c.speaker,
      gender: c.gender,
      age: c.age,
      race: c.race,
      ethnicity: c.ethnicity,
      emotion: c.emotion,
      originalLabel: c.originalLabel,
      intensity: c.intensity,
      sentence: c.sentence,
      duration: c.duration,
      attributes: c.attributes,
    })),
    skipped: p.data.skipped,
    notes: p.data.notes,
    labelMapping: p.data.labelMapping,
    leakage: p.audits,
  });
  return change;
}

/** What differs between the data a folder was run on and the data now. */
function dataChange(folder: RunFolder, p: Prepared): string {
  const file = folder.path('data.json');
  if (!existsSync(file)) return 'the data changed since this folder was run';
  const before = new Map(readJson<RunData>(file).clips.map((c) => [c.id, `${c.hash}|${c.emotion}`]));
  const now = new Map(p.data.clips.map((c, i) => [c.id, `${p.data.hashes[i]}|${c.emotion}`]));
  const added = [...now.keys()].filter((id) => !before.has(id));
  const removed = [...before.keys()].filter((id) => !now.has(id));
  const changed = [...now.keys()].filter((id) => before.has(id) && before.get(id) !== now.get(id));
  const list = (xs: string[]) => xs.slice(0, 3).join(', ') + (xs.length > 3 ? ', …' : '');
  const parts = [
    added.length ? `${added.length} clip(s) added (${list(added)})` : '',
    removed.length ? `${removed.length} removed (${list(removed)})` : '',
    changed.length ? `${changed.length} changed content or label (${list(changed)})` : '',
  ].filter(Boolean);
  return `the data changed since this folder was run: ${parts.join('; ') || 'clip order or labels differ'}; jobs whose folds changed run again`;
}

export interface RunSummary {
  folder: string;
  completed: string[];
  resumed: string[];
  failed: JobFailure[];
  skipped: SkippedFile[];
  /** Jobs whose file existed but could not be used (damaged, or computed on other data): run again. */
  recomputed: { id: string; reason: string }[];
  /** corrupt: damaged feature-cache entries found, recomputed. */
  cache: { hits: number; misses: number; corrupt: number };
}

export async function runSuite(suite: Suite, opts: RunOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const folder = new RunFolder(opts.out);
  // The process the user started draws; a job process forwards its events to it.
  const dashboard = opts.parentPid === undefined ? new Dashboard(process.stderr as unknown as Terminal, (l) => folder.log(l), opts.quiet ?? false) : null;
  const progress = new Progress(dashboard ? (e) => dashboard.event(0, e) : (e) => process.send?.({ progress: e }));
  const p = prepareRun(suite, opts.sourceHashes);
  let unlock = () => {};
  try {
    if (opts.parentPid === undefined) {
      unlock = lockRunFolder(folder.dir);
      // Claims folders of runs that were killed (the lock just taken says none runs now).
      if (existsSync(folder.dir))
        for (const e of readdirSync(folder.dir)) if (e.startsWith('.queue-')) rmSync(folder.path(e), { recursive: true, force: true });
    }
    const change = initRunFolder(suite, p, folder);
    if (change) {
      progress.message(change);
      folder.log(change);
    }
  } catch (e) {
    unlock();
    const err = e as NodeJS.ErrnoException;
    if (!err.code) throw e;
    throw new Error(`cannot write the run folder ${opts.out}: ${err.code} (${err.message.split(':')[0]}); choose another --out`);
  }
  folder.log(`run ${suite.name} (${p.hash}): ${p.data.clips.length} clips, ${p.data.skipped.length} skipped files, ${p.jobs.length} jobs`);
  // Without a shared cache, features still go to disk (inside the run folder) for the run's own use.
  const cacheDir = opts.cacheDir ?? folder.path('.features');
  const pool = new FeaturePool(opts.jobs ?? cpus().length, cacheDir);
  // Every source was hashed when the data was loaded: cached features are found without decoding.
  p.data.clips.forEach((c, i) => pool.sourceHash.set(c.id, p.data.hashes[i]));
  const store = new FeatureStore(suite.features, suite.augment.ops, p.data.clips, pool);
  if (suite.report.spectrograms && !existsSync(folder.path('examples.json'))) {
    writeJson(folder.path('examples.json'), await spectrogramExamples(suite, p.data, new FeatureCache(cacheDir)));
  }
  const mine = shardOf(p.jobs, opts.shard);
  // A job file counts only if it is intact and was computed on this fold's data; else the job runs again.
  const status = new Map(mine.map((j) => [j.id, currentJob(folder.jobFile(j.id), p.fingerprints.get(`${j.seed}/${j.fold}`)!)]));
  const pending = mine.filter((j) => !status.get(j.id)!.ok);
  const recomputed = pending.flatMap((j) => {
    const s = status.get(j.id)!;
    return !s.ok && s.reason !== 'no job file' ? [{ id: j.id, reason: s.reason }] : [];
  });
  for (const r of recomputed) progress.message(`job ${r.id} runs again: ${r.reason}`);
  const models = new Map(suite.models.map((m) => [m.name, m]));
  const foldOf = (job: JobSpec) => p.foldsBySeed.get(job.seed)!.find((f) => f.name === job.fold)!;
  const processes = Math.min(opts.processes ?? 1, pending.length);
  // Jobs run one at a time in this process (no job processes, and this is not one of them): a
  // network may then train on every core it was given. Job processes side by side take a core
  // each (and, with shareCores, the cores of those that run out of jobs: harness/spare-cores.ts).
  const fitThreads = processes === 1 && !opts.queue ? Math.max(1, opts.jobs ?? 1) : 1;
  dashboard?.setJobs(pending.length);
  try {
    return processes > 1 ? await runInProcesses(processes) : await runJobs();
  } finally {
    dashboard?.close();
    await pool.close();
    if (!opts.cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    unlock();
  }

  /**
   * What this process did, for results.json (which sums every record in shards/): cache hits
   * and misses, clips that failed to decode, seconds, peak memory. Returns the clip failures.
   */
  function writeShardRecord(name: string): SkippedFile[] {
    const clipFailures = [...store.failed.entries()].map(([i, reason]) => ({ path: clipPath(p.data.clips[i]), reason }));
    writeJson(folder.path('shards', `${name}.json`), {
      suiteHash: p.hash,
      // Wall-clock span and the machine, for the provenance page.
      started: new Date(Date.now() - (performance.now() - t0)).toISOString(),
      ended: new Date().toISOString(),
      workers: opts.processes ?? 1,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      cache: { hits: pool.hits, misses: pool.misses, corrupt: store.reader.corrupt, dir: opts.cacheDir },
      featureFailures: clipFailures,
      seconds: (performance.now() - t0) / 1000,
      // The process's peak resident memory so far (worker threads included), for the scale benchmark.
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    });
    return clipFailures;
  }

  /** Each process runs one shard of the plan into this folder; their summaries are merged. */
  async function runInProcesses(n: number): Promise<RunSummary> {
    // Extract every pending job's features first, on all cores, so that the job processes
    // only read the cache instead of computing the same clips side by side.
    for (const job of pending) {
      const fold = foldOf(job);
      const kinds = [models.get(job.model)!.features];
      await store.ensure(fold.train, suite.augment.copies, kinds, job.seed, progress);
      await store.ensure([...fold.val, ...fold.test], 0, kinds, job.seed, progress);
    }
    // The extraction's own record (its cache misses are the work; the job processes then hit).
    writeShardRecord(`${opts.shard ? `${opts.shard.index}-of-${opts.shard.count}-` : ''}features`);
    await pool.close(); // its threads' memory is not needed while the job processes train
    const { runShardsInProcesses } = await import('./job-process.ts');
    const sourceHashes = Object.fromEntries(p.data.clips.map((c, i) => [c.id, p.data.hashes[i]]));
    // The job processes take jobs from one queue (this run's claims folder) as they come free.
    const queueDir = folder.path(`.queue-${process.pid}`);
    mkdirSync(queueDir, { recursive: true });
    let parts: RunSummary[];
    try {
      parts = await runShardsInProcesses(suite.source, suite.sourcePath, { ...opts, cacheDir, sourceHashes }, n, queueDir, (worker, e) =>
        dashboard?.event(worker + 1, e),
      );
    } finally {
      rmSync(queueDir, { recursive: true, force: true });
    }
    const skipped = new Map([...p.data.skipped, ...parts.flatMap((x) => x.skipped)].map((x) => [x.path, x]));
    return {
      folder: opts.out,
      completed: parts.flatMap((x) => x.completed),
      resumed: parts.flatMap((x) => x.resumed),
      failed: parts.flatMap((x) => x.failed),
      skipped: [...skipped.values()],
      recomputed,
      // This process extracted the features; the job processes mostly read them back.
      cache: {
        hits: pool.hits + parts.reduce((a, x) => a + x.cache.hits, 0),
        misses: pool.misses + parts.reduce((a, x) => a + x.cache.misses, 0),
        corrupt: store.reader.corrupt + parts.reduce((a, x) => a + x.cache.corrupt, 0),
      },
    };
  }

  async function runJobs(): Promise<RunSummary> {
    const completed: string[] = [],
      resumed: string[] = [],
      failed: JobFailure[] = [];

    const spare = opts.queue && opts.shareCores ? new SpareCores(opts.queue.dir, opts.queue.worker) : null;
    for (const job of mine) {
      if (opts.queue && !claim(opts.queue.dir, job.id)) continue; // another process has it
      if (status.get(job.id)!.ok) {
        resumed.push(job.id);
        continue;
      }
      exitIfOrphaned(opts);
      try {
        const result = await runJob(suite, p, store, models.get(job.model)!, foldOf(job), job, progress, () => exitIfOrphaned(opts), {
          threads: fitThreads,
          cores: spare ? () => spare.take() : undefined,
        });
        writeJobFile(folder.jobFile(job.id), result);
        completed.push(job.id);
        progress.job(job.id, result.seconds);
      } catch (e) {
        const failure: JobFailure = { ...job, error: (e as Error).message, at: new Date().toISOString() };
        try {
          writeJson(folder.failureFile(job.id), failure);
        } catch (w) {
          // A full disk or a folder that became unwritable: say so, and go on with the other jobs.
          progress.message(`cannot record the failure of ${job.id}: ${(w as Error).message}`);
        }
        failed.push(failure);
        progress.message(`job ${job.id} failed: ${failure.error}`);
        progress.job(job.id, 0, true);
      }
    }
    spare?.release();
    const clipFailures = writeShardRecord(
      `${opts.shard ? `${opts.shard.index}-of-${opts.shard.count}` : 'all'}${opts.queue ? `-worker-${opts.queue.worker}` : ''}`,
    );
    folder.log(`finished: ${completed.length} trained, ${resumed.length} resumed, ${failed.length} failed`);
    return {
      folder: opts.out,
      completed,
      resumed,
      recomputed,
      failed,
      skipped: [...p.data.skipped, ...clipFailures],
      cache: { hits: pool.hits, misses: pool.misses, corrupt: store.reader.corrupt },
    };
  }
}

async function runJob(
  suite: Suite,
  p: Prepared,
  store: FeatureStore,
  spec: ModelSpec,
  fold: Fold,
  job: JobSpec,
  progress: Progress,
  checkParent: () => void,
  /** Cores the job's network may train on, at first and as more come free (FitOptions.threads, cores). */
  cores: Pick<FitOptions, 'threads' | 'cores'>,
): Promise<JobResult> {
  const t0 = performance.now();
  const copies = suite.augment.copies;
  const kinds = [spec.features];
  // Augmentation after splitting, on training clips only.
  await store.ensure(fold.train, copies, kinds, job.seed, progress);
  await store.ensure([...fold.val, ...fold.test], 0, kinds, job.seed, progress);
  const train = store.batch(fold.train, copies, spec.features, job.seed, p.data.labels);
  const val = store.batch(fold.val, 0, spec.features, job.seed, p.data.labels);
  const test = store.batch(fold.test, 0, spec.features, job.seed, p.data.labels);
  if (train.n === 0) throw new Error('no training clips could be read');
  if (test.n === 0) throw new Error('no test clips could be read');
  const k = p.data.classes.length;
  const model = await createClassifier(spec, k);
  const epochs = (spec.params as { epochs?: unknown }).epochs;
  progress.start(`train ${job.id}`, typeof epochs === 'number' ? epochs : 1);
  const fit = await model.fit(train, val.n > 0 ? val : undefined, {
    seed: job.modelSeed ?? job.seed,
    ...cores,
    onEpoch: (l) => {
      checkParent();
      progress.tick(`loss ${l.loss.toFixed(3)}${l.valLoss !== undefined ? ` val ${l.valLoss.toFixed(3)}` : ''}`);
    },
  });
  if (fit.epochs === undefined) progress.tick(); // one step for models without epochs
  progress.done(fit.bestEpoch ? `best epoch ${fit.bestEpoch}` : '');
  const testProbs = await model.predictProba(test);
  let temperature = 1,
    foundBy = 'no validation clips: T = 1',
    validation: ValidationCalibration | null = null;
  if (val.n > 0 && suite.evaluation.temperature_scaling) {
    const valProbs = floorProbabilities(await model.predictProba(val));
    const t = fitTemperature(val.y!, valProbs, k);
    temperature = t.temperature;
    foundBy = t.found_by;
    // Both sets of probabilities on validation: the report says which is better there, never silently prefers one.
    const bins = suite.evaluation.ece_bins;
    validation = {
      n: val.n,
      nll_raw: temperatureNll(val.y!, valProbs, k, 1),
      nll_scaled: temperatureNll(val.y!, valProbs, k, temperature),
      ece_raw: calibration(val.y!, valProbs, k, bins).ece,
      ece_scaled: calibration(val.y!, applyTemperature(valProbs, k, temperature), k, bins).ece,
    };
  }
  const trainClassCounts = p.data.classes.map(() => 0);
  for (const i of fold.train) trainClassCounts[p.data.labels[i]]++;
  const rows: number[][] = [];
  for (let i = 0; i < test.n; i++) rows.push(Array.from(testProbs.subarray(i * k, (i + 1) * k)));
  return {
    ...job,
    suiteHash: p.hash,
    foldFingerprint: p.fingerprints.get(`${job.seed}/${job.fold}`)!,
    family: spec.type,
    features: spec.features,
    fit,
    temperature,
    temperatureFoundBy: foundBy,
    validation,
    trainClassCounts,
    test: { clips: test.clips.map((i) => p.data.clips[i].id), probs: rows },
    trainClips: new Set(train.clips).size,
    trainCopies: train.n,
    valClips: val.n,
    seconds: (performance.now() - t0) / 1000,
  };
}
