/**
 * The one reader of a run folder. Every command and the library read a run through it: each
 * file is read at most once (on first use) and handed over typed. What it reads is what the run
 * wrote (harness/run/, harness/run-folder/write-results.ts); nothing else reads those files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseSuite, type Suite } from '../suite.ts';
import { RunFolder } from './folder.ts';
import { readJobFile, type PlanRecord, type SpectrogramExample, type SavedModel } from './records.ts';
import type { JobResult, JobFailure, RunData, ShardRecord } from '../stats/run-records.ts';
import type { Results, RunInput, Environment } from '../stats/evaluate-run.ts';

export type JobStatus = { ok: true; result: JobResult } | { ok: false; reason: string };

/** Memoize a getter's value on first call. */
function once<T>(f: () => T): () => T {
  let v: { value: T } | undefined;
  return () => (v ??= { value: f() }).value;
}

export class RunReader {
  readonly folder: RunFolder;
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
    this.folder = new RunFolder(this.dir);
  }

  private json<T>(...parts: string[]): T {
    const file = this.folder.path(...parts);
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as T;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw new Error(`${this.dir}: no ${parts.join('/')} (not a serbench run folder, or an unfinished one)`);
      throw new Error(`${file}: cannot be read (${err.code ?? err.message.split('\n')[0]})`);
    }
  }

  /** Whether the folder holds a run (its suite and plan). */
  get isRun(): boolean {
    return existsSync(this.folder.path('suite.yaml')) && existsSync(this.folder.path('plan.json'));
  }
  has(...parts: string[]): boolean {
    return existsSync(this.folder.path(...parts));
  }

  readonly plan = once(() => this.json<PlanRecord>('plan.json'));
  readonly data = once(() => this.json<RunData>('data.json'));
  readonly results = once(() => {
    if (!this.has('results.json')) throw new Error(`${this.dir}: no results.json (not a run folder, or run \`serbench report ${this.dir}\` first)`);
    return this.json<Results>('results.json');
  });
  readonly examples = once(() => (this.has('examples.json') ? this.json<SpectrogramExample[]>('examples.json') : []));
  readonly shards = once(() => this.folder.listJson('shards').map((f) => this.json<ShardRecord>('shards', basename(f))));
  readonly failures = once(() => this.folder.listJson('failed').map((f) => this.json<JobFailure>('failed', basename(f))));

  /** The suite as the run read it: paths relative to the original file, data not required. */
  readonly suite = once((): Suite => {
    if (!this.has('suite.yaml')) throw new Error(`${this.dir}: not a serbench run folder (no suite.yaml)`);
    const file = this.folder.path('suite.yaml');
    const plan = this.plan();
    return parseSuite(readFileSync(file, 'utf8'), file, { baseDir: plan.suitePath ? dirname(plan.suitePath) : undefined, checkPaths: false });
  });

  /** Every job file's status against the plan's folds: usable, or why not (missing, damaged, other data). */
  readonly jobStatus = once((): Map<string, JobStatus> => {
    const plan = this.plan();
    const fingerprint = new Map(Object.entries(plan.folds).flatMap(([seed, folds]) => folds.map((f) => [`${seed}/${f.name}`, f.fingerprint] as const)));
    const status = new Map<string, JobStatus>();
    for (const spec of plan.jobs) {
      const r = readJobFile(this.folder.jobFile(spec.id));
      const want = fingerprint.get(`${spec.seed}/${spec.fold}`) ?? '';
      status.set(spec.id, !r.ok || r.result.foldFingerprint === want ? r : { ok: false, reason: "its fold's data changed since it was computed" });
    }
    return status;
  });

  /**
   * The run's usable job results: intact files of jobs in the plan, computed on the plan's folds.
   * Anything else in jobs/ (damaged, from other data, from an older plan) is left out and named.
   */
  readonly current = once(() => {
    const status = this.jobStatus();
    const jobs: JobResult[] = [];
    const stale: { id: string; reason: string }[] = [];
    for (const file of this.folder.listJson('jobs')) {
      const id = basename(file, '.json');
      const s = status.get(id);
      if (!s) stale.push({ id, reason: 'not a job of the current plan' });
      else if (s.ok) jobs.push(s.result);
      else stale.push({ id, reason: s.reason });
    }
    return { jobs, stale };
  });

  /** A job's fitted model, as the run saved it (runs of versions before this kept none). */
  model(job: string): SavedModel {
    if (!this.has('models', `${job}.json`))
      throw new Error(`${this.dir}: no saved model of job ${job} (runs made before models were kept have none: run the suite again)`);
    return this.json<SavedModel>('models', `${job}.json`);
  }

  /** What evaluation reads (harness/stats/evaluate-run.ts), with the environment and moment it is made in. */
  input(environment: Environment, created: string): RunInput {
    const { jobs, stale } = this.current();
    return {
      suite: this.suite(),
      data: this.data(),
      jobs,
      stale,
      failures: this.failures(),
      shards: this.shards(),
      plan: this.plan(),
      environment,
      created,
    };
  }
}

/** The reader of a run folder; refuses a folder that holds no run. */
export function readRun(dir: string): RunReader {
  const r = new RunReader(dir);
  if (!existsSync(r.dir)) throw new Error(`${r.dir}: no such folder`);
  if (!r.has('suite.yaml') && !r.has('results.json')) throw new Error(`${r.dir}: not a serbench run folder (no suite.yaml)`);
  return r;
}
