/** What a run is told (RunOptions) and what it tells back (RunSummary). */
import type { JobFailure } from '../stats/run-records.ts';
import type { SkippedFile } from '../../datasets/types.ts';

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
   * cores between epochs (harness/run/spare-cores.ts). Off by default: its steps then equal those
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
   * lock. A job process whose parent is gone stops at its next epoch or job (see exitIfOrphaned).
   */
  parentPid?: number;
  /** Set for job processes: the sha256 of every source (clip id → hash), as their parent read them. */
  sourceHashes?: Record<string, string>;
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
