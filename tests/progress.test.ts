/**
 * The run's progress as a person sees it: drawn through a fake terminal (a small emulator of
 * the escape sequences the dashboard uses) at 60 and 120 columns, with two workers at once.
 * Nothing may wrap, no stale line may stay on screen, and off a terminal the output is plain lines.
 */
import { describe, it, expect } from 'vitest';
import { Dashboard, type ProgressEvent } from '../harness/run/progress.ts';

/** Enough of a VT100 for \r, \n, cursor up (ESC[nA), erase line (ESC[2K) and erase below (ESC[J). */
class FakeTerminal {
  screen: string[] = [''];
  row = 0;
  col = 0;
  wrapped = 0;
  constructor(readonly columns: number) {}
  readonly isTTY = true;
  write(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\x1b') {
        const m = /^\x1b\[(\d*)([AJK])/.exec(text.slice(i));
        if (!m) throw new Error(`unknown escape at ${JSON.stringify(text.slice(i, i + 6))}`);
        i += m[0].length - 1;
        if (m[2] === 'A') this.row = Math.max(0, this.row - Number(m[1] || 1));
        else if (m[2] === 'K') this.screen[this.row] = '';
        else this.screen.length = this.row + 1; // J: erase from the cursor down
        this.screen[this.row] ??= '';
        if (m[2] === 'J') this.screen[this.row] = this.screen[this.row].slice(0, this.col);
        continue;
      }
      if (ch === '\r') this.col = 0;
      else if (ch === '\n') {
        this.row++;
        this.col = 0;
        this.screen[this.row] ??= '';
      } else {
        if (this.col >= this.columns) {
          // The terminal wraps: what a redraw then fails to erase is a stale line.
          this.wrapped++;
          this.row++;
          this.col = 0;
          this.screen[this.row] ??= '';
        }
        const line = this.screen[this.row];
        this.screen[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1);
        this.col++;
      }
    }
  }
  /** The lines on screen, without the empty one the cursor sits on. */
  lines(): string[] {
    return this.screen.filter((l, i) => l !== '' || i < this.row);
  }
}

/** Two networks and two trees: the ETA weighs them by cost. */
const JOBS = [
  { id: 's1_fold-1_cnn', seconds: 100 },
  { id: 's1_fold-2_cnn', seconds: 100 },
  { id: 's1_fold-1_tree', seconds: 1 },
  { id: 's1_fold-2_tree', seconds: 1 },
];

function play(columns: number) {
  let clock = 0;
  const term = new FakeTerminal(columns);
  const log: string[] = [];
  const d = new Dashboard(
    term,
    (l) => log.push(l),
    false,
    () => clock,
  );
  d.setJobs(JOBS);
  const ev = (w: number, e: ProgressEvent) => {
    clock += 250;
    d.event(w, e);
  };
  const long = 'a very long label for a job that names its seed, fold and model in full detail';
  ev(1, { kind: 'start', label: `train s1_fold-1_cnn ${long}`, total: 30 });
  ev(2, { kind: 'start', label: 'train s1_fold-2_cnn', total: 30 });
  for (let e = 0; e < 10; e++) {
    ev(1, { kind: 'tick', detail: `loss ${(2 - e / 10).toFixed(3)} val ${(2.1 - e / 12).toFixed(3)}` });
    ev(2, { kind: 'tick', detail: `loss ${(2 - e / 9).toFixed(3)}` });
  }
  ev(1, { kind: 'message', line: 'job s0_x runs again: damaged job file' });
  ev(1, { kind: 'done', detail: 'best epoch 7' });
  ev(1, { kind: 'job', id: 's1_fold-1_cnn', seconds: 42 });
  ev(2, { kind: 'done', detail: '' });
  ev(2, { kind: 'job', id: 's1_fold-2_cnn', seconds: 43 });
  return { term, d, log };
}

describe('the progress dashboard', () => {
  it.each([60, 120])('at %i columns: a line per worker and an overall line, nothing wraps, nothing stale', (columns) => {
    let clock = 0;
    const term = new FakeTerminal(columns);
    const d = new Dashboard(
      term,
      () => {},
      false,
      () => clock,
    );
    d.setJobs(JOBS);
    d.event(1, { kind: 'start', label: 'train s1_fold-1_cnn with a label long enough to wrap a narrow terminal twice over', total: 30 });
    d.event(2, { kind: 'start', label: 'train s1_fold-2_cnn', total: 30 });
    for (let e = 0; e < 5; e++) {
      clock += 300;
      d.event(1, { kind: 'tick', detail: `loss ${(2 - e / 10).toFixed(3)}` });
      clock += 300;
      d.event(2, { kind: 'tick', detail: `loss ${(2 - e / 9).toFixed(3)}` });
    }
    const screen = term.lines();
    expect(screen).toHaveLength(3);
    // Cut to the width, with an ellipsis, where it would wrap.
    if (columns === 60) expect(screen[0]).toMatch(/^w1 train s1_fold-1_cnn with a label .*…$/);
    else expect(screen[0]).toMatch(/^w1 train s1_fold-1_cnn with a label long enough to wrap a narrow terminal twice over 5\/30 ETA \d+ s loss 1\.600$/);
    expect(screen[1]).toMatch(/^w2 train s1_fold-2_cnn 5\/30 ETA \d+ s loss 1\.556$/);
    expect(screen[2]).toMatch(/^jobs 0\/4 · \d+ s elapsed · ETA ~?\d+(\.\d)? (s|min)$/);
    for (const l of screen) expect(l.length).toBeLessThan(columns);
    expect(term.wrapped).toBe(0);
  });

  it.each([60, 120])('at %i columns: finished jobs and messages stay above the live lines, which end cleared', (columns) => {
    const { term, d, log } = play(columns);
    expect(term.wrapped).toBe(0);
    const screen = term.lines();
    expect(screen).toEqual([
      'job s0_x runs again: damaged job file',
      '[1/4] job s1_fold-1_cnn done after 42 s (wall)',
      '[2/4] job s1_fold-2_cnn done after 43 s (wall)',
      expect.stringMatching(/^jobs 2\/4 · \d+ s elapsed · ETA ~?\d+(\.\d)? (s|min)$/),
    ]);
    d.close();
    expect(term.lines()).toHaveLength(3);
    // The run log gets the stage lines with one time each, and every job line.
    expect(log.filter((l) => l.startsWith('train s1_fold-1_cnn'))).toEqual([expect.stringMatching(/^train s1_fold-1_cnn .*: 10\/30 in \d+ s, best epoch 7$/)]);
    expect(log).toContain('[2/4] job s1_fold-2_cnn done after 43 s (wall)');
  });

  it('off a terminal: plain lines, no carriage return or escape, no live lines', () => {
    const out: string[] = [];
    const d = new Dashboard({ write: (t) => out.push(t), isTTY: false }, () => {});
    d.setJobs(['a', 'b'].map((id) => ({ id, seconds: 10 })));
    d.event(0, { kind: 'start', label: 'features (seed 1)', total: 3 });
    for (let i = 0; i < 3; i++) d.event(0, { kind: 'tick', detail: '' });
    d.event(0, { kind: 'done', detail: 'cache 0 hits, 3 misses' });
    d.event(1, { kind: 'job', id: 's1_random_svm', seconds: 3.2 });
    const text = out.join('');
    expect(text).not.toMatch(/[\r\x1b]/);
    expect(text.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^features \(seed 1\): 3\/3 in \d+ s, cache 0 hits, 3 misses$/),
      '[1/2] job s1_random_svm done after 3 s (wall)',
    ]);
  });

  it('the overall ETA weighs jobs by cost: two cheap jobs done say little of the network still to train', () => {
    let clock = 0;
    const d = new Dashboard(
      { write: () => {}, isTTY: false },
      () => {},
      true,
      () => clock,
    );
    d.setJobs([
      { id: 'tree', seconds: 1 },
      { id: 'svm', seconds: 2 },
      { id: 'cnn', seconds: 600 },
    ]);
    // Before any work: the cost models' estimate, marked as one.
    expect(d.lines().at(-1)).toMatch(/ETA ~10\.1 min$/);
    clock = 3000;
    d.event(0, { kind: 'job', id: 'tree', seconds: 1 });
    d.event(0, { kind: 'job', id: 'svm', seconds: 2 });
    // Counted by jobs (2 of 3 in 3 s) it would say 1.5 s; by cost, the network's 600 s remain.
    expect(d.lines().at(-1)).toMatch(/^jobs 2\/3 · 3 s elapsed · ETA ~10\.0 min$/);
    // Half the network's epochs in 300 s more: a measured rate now, about 300 s left.
    d.event(0, { kind: 'start', label: 'train cnn', total: 40, job: 'cnn' });
    for (let e = 0; e < 20; e++) d.event(0, { kind: 'tick', detail: '' });
    clock = 303_000;
    const eta = /ETA (\d+(?:\.\d)?) (s|min)$/.exec(d.lines().at(-1)!)!;
    const seconds = Number(eta[1]) * (eta[2] === 'min' ? 60 : 1);
    expect(seconds).toBeGreaterThan(250);
    expect(seconds).toBeLessThan(350);
  });
});
