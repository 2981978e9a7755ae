/**
 * Running a suite: load data, split, extract features (cached), train every job (seed × fold ×
 * model) in this process or in job processes, save each finished job atomically. Finished jobs
 * are skipped when the same command runs again. Evaluation and the site come after
 * (harness/cli/report.ts).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import type { Suite } from '../suite.ts';
import type { Fold } from '../splits.ts';
import { FeatureCache } from '../../datasets/features/cache.ts';
import { FeaturePool } from '../../datasets/features/pool.ts';
import { FeatureStore } from '../../datasets/features/store.ts';
import { RunFolder, writeJson, lockRunFolder } from '../run-folder/folder.ts';
import { RunReader, type JobStatus } from '../run-folder/read-run.ts';
import { writeJobFile, modelFile } from '../run-folder/records.ts';
import { jobCheckpoints } from '../run-folder/checkpoints.ts';
import type { JobSpec, JobFailure } from '../stats/run-records.ts';
import { fileComponent } from '../../core/file-names.ts';
import { Progress, Dashboard, type Terminal } from './progress.ts';
import { clipPath, type SkippedFile } from '../../datasets/types.ts';
import { spectrogramExamples } from '../pictures.ts';
import { SpareCores } from './spare-cores.ts';
import { prepareRun, shardOf, jobCost, type Prepared } from './plan.ts';
import { initRunFolder } from './folder-setup.ts';
import { runJob } from './job.ts';
import type { RunOptions, RunSummary } from './options.ts';
export type { RunOptions, RunSummary } from './options.ts';

/**
 * A job process whose parent was killed alone: it exits at once, writing nothing unfinished.
 * process.ppid is read live from the OS (it becomes the reaper's pid), so this needs no event
 * loop turn, unlike the IPC 'disconnect' event, which a long synchronous fit never yields to.
 */
function exitIfOrphaned(opts: RunOptions): void {
  if (opts.parentPid !== undefined && process.ppid !== opts.parentPid) process.exit(1);
}

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

/** What the parts of a run share. */
interface Run {
  suite: Suite;
  opts: RunOptions;
  folder: RunFolder;
  p: Prepared;
  pool: FeaturePool;
  store: FeatureStore;
  progress: Progress;
  dashboard: Dashboard | null;
  /** This process's jobs (its shard), their status, and those that must run. */
  mine: JobSpec[];
  status: Map<string, JobStatus>;
  pending: JobSpec[];
  recomputed: { id: string; reason: string }[];
  cacheDir: string;
  t0: number;
}

const foldOf = (run: Run, job: JobSpec): Fold => run.p.foldsBySeed.get(job.seed)!.find((f) => f.name === job.fold)!;

/** Lock the folder (the process the user started), write its fixed inputs, and say what changed in the data. */
function openFolder(suite: Suite, p: Prepared, folder: RunFolder, opts: RunOptions, progress: Progress): () => void {
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
    return unlock;
  } catch (e) {
    unlock();
    const err = e as NodeJS.ErrnoException;
    if (!err.code) throw e;
    throw new Error(`cannot write the run folder ${opts.out}: ${err.code} (${err.message.split(':')[0]}); choose another --out`);
  }
}

export async function runSuite(suite: Suite, opts: RunOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const folder = new RunFolder(opts.out);
  // The process the user started draws; a job process forwards its events to it.
  const dashboard = opts.parentPid === undefined ? new Dashboard(process.stderr as unknown as Terminal, (l) => folder.log(l), opts.quiet ?? false) : null;
  const progress = new Progress(dashboard ? (e) => dashboard.event(0, e) : (e) => process.send?.({ progress: e }));
  const p = prepareRun(suite, opts.sourceHashes);
  const unlock = openFolder(suite, p, folder, opts, progress);
  folder.log(`run ${suite.name} (${p.hash}): ${p.data.clips.length} clips, ${p.data.skipped.length} skipped files, ${p.jobs.length} jobs`);
  // Without a shared cache, features still go to disk (inside the run folder) for the run's own use.
  const cacheDir = opts.cacheDir ?? folder.path('.features');
  const pool = new FeaturePool(opts.jobs ?? cpus().length, cacheDir);
  // Every source was hashed when the data was loaded: cached features are found without decoding.
  p.data.clips.forEach((c, i) => pool.sourceHash.set(c.id, p.data.hashes[i]));
  const store = new FeatureStore(suite.features, suite.augment.ops, p.data.clips, pool);
  if (suite.report.spectrograms && !existsSync(folder.path('examples.json')))
    writeJson(folder.path('examples.json'), await spectrogramExamples(suite, p.data.clips, new FeatureCache(cacheDir)));
  const mine = shardOf(p.jobs, opts.shard);
  // A job file counts only if it is intact and was computed on this fold's data; else the job runs again.
  const status = new RunReader(folder.dir).jobStatus();
  const pending = mine.filter((j) => !status.get(j.id)!.ok);
  const recomputed = pending.flatMap((j) => {
    const s = status.get(j.id)!;
    return !s.ok && s.reason !== 'no job file' ? [{ id: j.id, reason: s.reason }] : [];
  });
  for (const r of recomputed) progress.message(`job ${r.id} runs again: ${r.reason}`);
  const run: Run = { suite, opts, folder, p, pool, store, progress, dashboard, mine, status, pending, recomputed, cacheDir, t0 };
  const processes = Math.min(opts.processes ?? 1, pending.length);
  dashboard?.setJobs(
    pending.map((j) => ({ id: j.id, seconds: jobCost(suite, p, j) })),
    processes,
  );
  try {
    return processes > 1 ? await runInProcesses(run, processes) : await runJobs(run);
  } finally {
    dashboard?.close();
    await pool.close();
    if (!opts.cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    unlock();
  }
}

/** Clips whose features could not be made, one entry per clip: its reason, or each kind's where they differ (a broken encoder fails one kind). */
function clipFailuresOf(run: Run): SkippedFile[] {
  const byClip = new Map<number, { kind: string; reason: string }[]>();
  for (const f of run.store.failed.values()) byClip.set(f.clip, [...(byClip.get(f.clip) ?? []), f]);
  return [...byClip].map(([i, fs]) => {
    const reasons = [...new Set(fs.map((f) => f.reason))];
    return { path: clipPath(run.p.data.clips[i]), reason: reasons.length === 1 ? reasons[0] : fs.map((f) => `${f.kind}: ${f.reason}`).join('; ') };
  });
}

/**
 * What this process did, for results.json (which sums every record in shards/): cache hits
 * and misses, clips that failed to decode, seconds, peak memory. Returns the clip failures.
 */
function writeShardRecord(run: Run, name: string): SkippedFile[] {
  const { p, pool, store, opts } = run;
  const clipFailures = clipFailuresOf(run);
  writeJson(run.folder.path('shards', `${name}.json`), {
    suiteHash: p.hash,
    // Wall-clock span and the machine, for the provenance page.
    started: new Date(Date.now() - (performance.now() - run.t0)).toISOString(),
    ended: new Date().toISOString(),
    workers: opts.processes ?? 1,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    cache: { hits: pool.hits, misses: pool.misses, corrupt: store.reader.corrupt, dir: opts.cacheDir },
    featureFailures: clipFailures,
    seconds: (performance.now() - run.t0) / 1000,
    // The process's peak resident memory so far (worker threads included), for the scale benchmark.
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  });
  return clipFailures;
}

/** Each process runs one shard of the plan into this folder; their summaries are merged. */
async function runInProcesses(run: Run, n: number): Promise<RunSummary> {
  const { suite, opts, p, pool, store, progress, folder } = run;
  // Extract every pending job's features first, on all cores, so that the job processes
  // only read the cache instead of computing the same clips side by side.
  for (const job of run.pending) {
    const fold = foldOf(run, job);
    const kinds = [suite.models.find((m) => m.name === job.model)!.features];
    await store.ensure(fold.train, suite.augment.copies, kinds, job.seed, progress);
    await store.ensure([...fold.val, ...fold.test], 0, kinds, job.seed, progress);
  }
  // The extraction's own record (its cache misses are the work; the job processes then hit).
  writeShardRecord(run, `${opts.shard ? `${opts.shard.index}-of-${opts.shard.count}-` : ''}features`);
  await pool.close(); // its threads' memory is not needed while the job processes train
  const { runShardsInProcesses } = await import('./job-processes.ts');
  const sourceHashes = Object.fromEntries(p.data.clips.map((c, i) => [c.id, p.data.hashes[i]]));
  // The job processes take jobs from one queue (this run's claims folder) as they come free.
  const queueDir = folder.path(`.queue-${process.pid}`);
  mkdirSync(queueDir, { recursive: true });
  let parts: RunSummary[];
  try {
    parts = await runShardsInProcesses(suite.source, suite.sourcePath, { ...opts, cacheDir: run.cacheDir, sourceHashes }, n, queueDir, (worker, e) =>
      run.dashboard?.event(worker + 1, e),
    );
  } finally {
    rmSync(queueDir, { recursive: true, force: true });
  }
  const skipped = new Map([...p.data.skipped, ...parts.flatMap((x) => x.skipped)].map((x) => [x.path, x]));
  const sum = (f: (x: RunSummary) => number) => parts.reduce((a, x) => a + f(x), 0);
  return {
    folder: opts.out,
    completed: parts.flatMap((x) => x.completed),
    resumed: parts.flatMap((x) => x.resumed),
    failed: parts.flatMap((x) => x.failed),
    skipped: [...skipped.values()],
    recomputed: run.recomputed,
    // This process extracted the features; the job processes mostly read them back.
    cache: {
      hits: pool.hits + sum((x) => x.cache.hits),
      misses: pool.misses + sum((x) => x.cache.misses),
      corrupt: store.reader.corrupt + sum((x) => x.cache.corrupt),
    },
  };
}

/** The jobs of this process, one after another (a job process: those it claims from the queue). */
async function runJobs(run: Run): Promise<RunSummary> {
  const { opts, suite, p, store, progress, folder } = run;
  const completed: string[] = [],
    resumed: string[] = [],
    failed: JobFailure[] = [];
  // Jobs run one at a time in this process (no job processes, and this is not one of them): a
  // network may then train on every core it was given. Job processes side by side take a core
  // each (and, with shareCores, the cores of those that run out of jobs: harness/run/spare-cores.ts).
  const fitThreads = Math.min(opts.processes ?? 1, run.pending.length) === 1 && !opts.queue ? Math.max(1, opts.jobs ?? 1) : 1;
  const spare = opts.queue && opts.shareCores ? new SpareCores(opts.queue.dir, opts.queue.worker) : null;
  const ctx = {
    suite,
    p,
    store,
    progress,
    checkParent: () => exitIfOrphaned(opts),
    cores: { threads: fitThreads, cores: spare ? () => spare.take() : undefined },
  };
  for (const job of run.mine) {
    if (opts.queue && !claim(opts.queue.dir, job.id)) continue; // another process has it
    if (run.status.get(job.id)!.ok) {
      resumed.push(job.id);
      continue;
    }
    exitIfOrphaned(opts);
    const spec = suite.models.find((m) => m.name === job.model)!;
    const checkpoints = jobCheckpoints(folder, {
      job: job.id,
      suiteHash: p.hash,
      foldFingerprint: p.fingerprints.get(`${job.seed}/${job.fold}`)!,
      model: { spec, seed: job.modelSeed ?? job.seed },
    });
    try {
      const { result, saved } = await runJob({ ...ctx, checkpoints }, spec, foldOf(run, job), job);
      // The model first: a job file marks the job done, and a done job's model is always there.
      writeJson(modelFile(folder, job.id), saved);
      writeJobFile(folder.jobFile(job.id), result);
      checkpoints.remove(); // the job's file holds what the fit made
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
      checkpoints.remove(); // a fit that failed starts afresh when the job runs again
      progress.message(`job ${job.id} failed: ${failure.error}`);
      progress.job(job.id, 0, true);
    }
  }
  spare?.release();
  const clipFailures = writeShardRecord(
    run,
    `${opts.shard ? `${opts.shard.index}-of-${opts.shard.count}` : 'all'}${opts.queue ? `-worker-${opts.queue.worker}` : ''}`,
  );
  folder.log(`finished: ${completed.length} trained, ${resumed.length} resumed, ${failed.length} failed`);
  return {
    folder: opts.out,
    completed,
    resumed,
    recomputed: run.recomputed,
    failed,
    skipped: [...p.data.skipped, ...clipFailures],
    cache: { hits: run.pool.hits, misses: run.pool.misses, corrupt: store.reader.corrupt },
  };
}
