/**
 * Progress of a run. Whoever does the work (this process, or a job process) reports events to a
 * Progress; one Dashboard, in the process the user started, draws them: on a terminal, one line
 * per active worker and an overall line (jobs done of all, elapsed, ETA), redrawn in place and
 * cut to the terminal's width so nothing wraps or goes stale; elsewhere (CI, Slurm logs) plain
 * lines, no carriage returns. Finished stages and messages are also written to the run log.
 */

export type ProgressEvent =
  | { kind: 'start'; label: string; total: number; job?: string }
  | { kind: 'tick'; detail: string }
  | { kind: 'done'; detail: string }
  | { kind: 'message'; line: string }
  | { kind: 'job'; id: string; seconds: number; failed?: boolean };

/** Where the dashboard draws: stderr, or a fake terminal in tests. */
export interface Terminal {
  write(text: string): void;
  isTTY?: boolean;
  columns?: number;
}

interface Slot {
  label: string;
  total: number;
  count: number;
  detail: string;
  started: number;
  /** The job this stage trains, if it does. */
  job?: string;
}

export const fmtTime = (s: number) => (s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);

export class Dashboard {
  private slots = new Map<number, Slot>();
  private jobsTotal = 0;
  private jobsDone = 0;
  private jobsFailed = 0;
  /** Each pending job's expected seconds on one core (models/registry.ts's cost models), and how many run side by side. */
  private cost = new Map<string, number>();
  private workers = 1;
  private costDone = 0;
  /** Read from the injected clock (a field initializer would run before it exists and read the real one). */
  private readonly t0: number;
  private drawn = 0;
  private lastDraw = 0;
  private clock: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly term: Terminal,
    private readonly log: (line: string) => void,
    private readonly quiet = false,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.t0 = now();
  }

  /**
   * The jobs this run has to do, with their expected cost (seconds on one core), and the job
   * processes that share them: the overall ETA weighs jobs by cost (a CNN is not a tree), at first
   * from the cost models, then at the rate the run has measured.
   */
  setJobs(jobs: { id: string; seconds: number }[], workers = 1): void {
    this.jobsTotal = jobs.length;
    this.cost = new Map(jobs.map((j) => [j.id, j.seconds]));
    this.workers = Math.max(1, workers);
    // The clock ticks every second on a terminal, whatever the work reports.
    if (this.term.isTTY && !this.quiet && !this.clock) {
      this.clock = setInterval(() => this.draw(true), 1000);
      this.clock.unref();
    }
  }

  event(worker: number, e: ProgressEvent): void {
    const slot = this.slots.get(worker);
    switch (e.kind) {
      case 'start':
        this.slots.set(worker, { label: e.label, total: e.total, count: 0, detail: '', started: this.now(), job: e.job });
        break;
      case 'tick':
        if (slot) ((slot.count += 1), (slot.detail = e.detail));
        break;
      case 'done': {
        if (!slot) break;
        this.slots.delete(worker);
        const line = `${slot.label}: ${slot.count}/${slot.total} in ${fmtTime((this.now() - slot.started) / 1000)}${e.detail ? `, ${e.detail}` : ''}`;
        this.log(line);
        // Stage lines are worth keeping in a log; on a terminal the live lines say it.
        if (!this.term.isTTY) this.print(line);
        break;
      }
      case 'message':
        this.log(e.line);
        this.print(e.line);
        break;
      case 'job': {
        if (e.failed) this.jobsFailed++;
        else this.jobsDone++;
        this.costDone += this.cost.get(e.id) ?? 0;
        const line = `[${this.jobsDone + this.jobsFailed}/${this.jobsTotal}] job ${e.id} ${e.failed ? 'failed' : 'done'} after ${fmtTime(e.seconds)} (wall)`;
        this.log(line);
        this.print(line);
        break;
      }
    }
    this.draw(e.kind !== 'tick');
  }

  /** The live lines: one per active worker, then the overall line. */
  lines(): string[] {
    const out: string[] = [];
    for (const [w, s] of [...this.slots.entries()].sort((a, b) => a[0] - b[0])) {
      const elapsed = (this.now() - s.started) / 1000;
      const eta = s.count ? (elapsed / s.count) * (s.total - s.count) : NaN;
      out.push(
        `${this.slots.size > 1 ? `w${w} ` : ''}${s.label} ${s.count}/${s.total}${Number.isFinite(eta) ? ` ETA ${fmtTime(eta)}` : ''}${s.detail ? ` ${s.detail}` : ''}`,
      );
    }
    if (this.jobsTotal > 0) {
      const finished = this.jobsDone + this.jobsFailed;
      const elapsed = (this.now() - this.t0) / 1000;
      const eta = this.eta(elapsed);
      out.push(
        `jobs ${finished}/${this.jobsTotal}${this.jobsFailed ? ` (${this.jobsFailed} failed)` : ''} · ${fmtTime(elapsed)} elapsed${Number.isFinite(eta.seconds) ? ` · ETA ${eta.estimate ? '~' : ''}${fmtTime(eta.seconds)}` : ''}`,
      );
    }
    return out;
  }

  /**
   * Seconds left: the cost still to do, at the rate measured so far (work done, the finished jobs'
   * cost and the in-flight ones' share by epochs, over the time it took), or from the cost models
   * alone (an estimate, shown with ~) until some work is done.
   */
  private eta(elapsed: number): { seconds: number; estimate: boolean } {
    const total = [...this.cost.values()].reduce((a, c) => a + c, 0);
    let inFlight = 0;
    for (const s of this.slots.values()) if (s.job && s.total > 0) inFlight += (this.cost.get(s.job) ?? 0) * Math.min(1, s.count / s.total);
    const done = this.costDone + inFlight;
    if (total <= 0) return { seconds: NaN, estimate: true };
    // A measured rate once a twentieth of the work is done (a few cheap jobs say little of a CNN's speed).
    if (done < 0.05 * total || elapsed < 1) return { seconds: (total - done) / this.workers, estimate: true };
    return { seconds: Math.max(0, (elapsed / done) * (total - done)), estimate: false };
  }

  /** Remove the live lines and stop the clock (the end of a run). */
  close(): void {
    if (this.clock) clearInterval(this.clock);
    this.clock = null;
    this.erase();
  }

  private erase(): void {
    if (this.term.isTTY && !this.quiet && this.drawn) this.term.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private width(): number {
    return Math.max(20, (this.term.columns ?? 80) - 1);
  }

  /** A permanent line: above the live block on a terminal. */
  private print(line: string): void {
    if (this.quiet) return;
    if (!this.term.isTTY) {
      this.term.write(`${line}\n`);
      return;
    }
    this.erase();
    // Long permanent lines may wrap: they are written once and never redrawn.
    this.term.write(`${line}\n`);
    this.draw(true);
  }

  private draw(force: boolean): void {
    if (this.quiet || !this.term.isTTY) return;
    const t = this.now();
    if (!force && t - this.lastDraw < 200) return;
    this.lastDraw = t;
    const w = this.width();
    const lines = this.lines().map((l) => (l.length > w ? `${l.slice(0, w - 1)}…` : l));
    let text = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const l of lines) text += `\x1b[2K${l}\n`;
    text += '\x1b[J';
    this.term.write(text);
    this.drawn = lines.length;
  }
}

/** What the work reports to: a local dashboard, or (in a job process) the parent's. */
export class Progress {
  constructor(private readonly sink: (e: ProgressEvent) => void) {}
  start(label: string, total: number, job?: string): void {
    this.sink({ kind: 'start', label, total, ...(job ? { job } : {}) });
  }
  tick(detail = ''): void {
    this.sink({ kind: 'tick', detail });
  }
  done(detail = ''): void {
    this.sink({ kind: 'done', detail });
  }
  message(line: string): void {
    this.sink({ kind: 'message', line });
  }
  job(id: string, seconds: number, failed = false): void {
    this.sink({ kind: 'job', id, seconds, failed });
  }
}
