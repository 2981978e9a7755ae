/**
 * Cores of job processes that ran out of jobs, for the jobs still training (#12). With job
 * processes side by side each trains on one core; at the end of a suite the last jobs would
 * train on one core each while the finished processes' cores idle. A process that runs out of
 * jobs leaves one marker per core it held in the run's queue folder; a training network takes
 * markers between epochs (a rename, so each goes to one process) and goes on with a larger team
 * (models/neural.ts). The cores a process took are handed on again when it runs out of jobs.
 */
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FREE = 'core-free-';

export class SpareCores {
  private taken = 0;

  constructor(
    private readonly dir: string,
    private readonly worker: number,
  ) {}

  /** Take whatever cores are on offer; returns the cores this process may use now (its own and those taken). */
  take(): number {
    for (const f of readdirSync(this.dir))
      if (f.startsWith(FREE))
        try {
          renameSync(join(this.dir, f), join(this.dir, `core-taken-${f.slice(FREE.length)}-by-${this.worker}`));
          this.taken++;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // another process took it first
        }
    return 1 + this.taken;
  }

  /** This process has no job left: offer its own core and the ones it took. */
  release(): void {
    for (let i = 0; i <= this.taken; i++) writeFileSync(join(this.dir, `${FREE}${this.worker}-${i}`), String(process.pid));
    this.taken = 0;
  }
}
