/** Progress lines with rate and ETA on stderr (one line per stage when not a terminal), mirrored to the run log. */
export class Progress {
  private label = '';
  private total = 0;
  private count = 0;
  private started = 0;
  private lastDraw = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private quiet: boolean,
    private log: (line: string) => void,
  ) {}

  start(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.count = 0;
    this.started = performance.now();
  }

  tick(detail = ''): void {
    this.count++;
    const now = performance.now();
    if (this.quiet || !this.tty || now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const eta = this.count ? (elapsed / this.count) * (this.total - this.count) : 0;
    const width = 24;
    const filled = Math.round((width * Math.min(this.count, this.total)) / Math.max(1, this.total));
    process.stderr.write(
      `\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.count}/${this.total} ETA ${eta.toFixed(0)} s ${detail}`
        .slice(0, 160)
        .padEnd(100),
    );
  }

  done(detail = ''): void {
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    const line = `${this.label}: ${this.count}/${this.total} in ${secs} s ${detail}`.trim();
    this.log(line);
    if (this.quiet) return;
    process.stderr.write(this.tty ? `\r${line.padEnd(100)}\n` : `${line}\n`);
  }

  message(line: string): void {
    this.log(line);
    if (!this.quiet) process.stderr.write(`${this.tty ? '\n' : ''}${line}\n`);
  }
}
