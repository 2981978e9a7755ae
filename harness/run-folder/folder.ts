/**
 * The run folder: every file a run writes, written atomically (temp file + rename), so that a
 * run killed at any moment leaves only complete files behind and can be resumed.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Write a file whole or not at all; a failed write (a full disk) names the file and leaves no temporary behind. */
export function writeAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw Object.assign(new Error(`cannot write ${path}: ${err.code ?? err.message}`), { code: err.code });
  }
}

/**
 * Whether a process is running. A killed process whose parent died too stays a zombie until
 * PID 1 reaps it, and some container inits (this machine's) take seconds or never: signal 0
 * still reaches a zombie, so on Linux its state in /proc is read too. (Before, a resumed run
 * kept the temporary file of a job process killed mid-write.)
 */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true; // no /proc (macOS): signal 0 is all there is
  }
};

/**
 * Take the run folder's lock (.lock, holding the pid) for as long as this run writes it: a
 * second run on the same folder is refused with the holder's pid. A lock left by a process that
 * is gone (killed) is taken over. Returns the release function.
 */
export function lockRunFolder(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        rmSync(file, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder))
        throw new Error(`${dir} is in use by another serbench run (pid ${holder}); wait for it, or use another --out`);
      rmSync(file, { force: true }); // its holder is gone
    }
  }
  throw new Error(`${dir}: cannot take the run folder's lock ${file}`);
}

/**
 * Remove the temporary files of writes that a killed process never finished (its pid, in the
 * file name, is gone), so that a resumed run leaves a clean folder. Files of live writers stay.
 */
export function removeStaleTemporaries(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    const m = /\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(f);
    if (m && !alive(Number(m[1]))) rmSync(join(dir, f), { force: true });
  }
}

export const writeJson = (path: string, value: unknown) => writeAtomic(path, JSON.stringify(value, null, 1) + '\n');

export class RunFolder {
  constructor(readonly dir: string) {}
  /** A path inside the run folder; refuses one that would lie outside it. */
  path(...parts: string[]): string {
    const p = join(this.dir, ...parts);
    const root = resolve(this.dir);
    const abs = resolve(p);
    if (abs !== root && !abs.startsWith(root + sep)) throw new Error(`refusing to write ${abs}: outside the run folder ${root}`);
    return p;
  }
  jobFile(id: string): string {
    return this.path('jobs', `${id}.json`);
  }
  failureFile(id: string): string {
    return this.path('failed', `${id}.json`);
  }
  listJson(sub: string): string[] {
    const d = this.path(sub);
    return existsSync(d)
      ? readdirSync(d)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(d, f))
      : [];
  }
  log(line: string): void {
    mkdirSync(this.dir, { recursive: true });
    appendFileSync(this.path('run.log'), `${new Date().toISOString()} ${line}\n`);
  }
}
