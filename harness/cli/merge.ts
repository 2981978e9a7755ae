/** `serbench merge`: shard folders of one suite become one run folder. */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { writeAtomic } from '../run-folder/folder.ts';
import { RunReader } from '../run-folder/read-run.ts';

export function mergeShards(out: string, shards: string[]): number {
  if (shards.length === 0) throw new Error('merge needs at least one shard folder');
  const readers = shards.map((s) => {
    const r = new RunReader(s);
    if (!r.has('plan.json')) throw new Error(`${s}: not a run folder (no plan.json)`);
    return r;
  });
  const plans = readers.map((r) => r.plan());
  const hash = plans[0].suiteHash;
  plans.forEach((p, i) => {
    if (p.suiteHash !== hash)
      throw new Error(`${shards[i]} is a run of suite ${p.suite} (${p.suiteHash}), not ${plans[0].suite} (${hash}): refusing to merge different suites`);
    if (p.dataHash !== plans[0].dataHash)
      throw new Error(`${shards[i]} was run on other data than ${shards[0]} (the clips or their contents differ): refusing to merge`);
  });
  const target = new RunReader(out);
  if (target.has('plan.json') && target.plan().suiteHash !== hash) throw new Error(`${out} already holds a run of another suite`);
  if (target.has('plan.json') && target.plan().dataHash !== plans[0].dataHash) {
    const own = target.folder.listJson('jobs').length;
    process.stderr.write(
      `merge: ${out} was run on other data than the shards (clips or their contents differ): its ${own} job file(s) will not count (the report lists them as stale)\n`,
    );
  }
  mkdirSync(out, { recursive: true });
  for (const f of ['suite.yaml', 'plan.json', 'data.json', 'examples.json']) {
    const src = readers.find((r) => r.has(f));
    if (src) writeAtomic(target.folder.path(f), readFileSync(src.folder.path(f)));
  }
  let jobs = 0;
  for (const r of readers)
    for (const sub of ['jobs', 'models', 'failed', 'folds', 'shards'])
      for (const file of r.folder.listJson(sub)) {
        mkdirSync(target.folder.path(sub), { recursive: true });
        copyFileSync(file, target.folder.path(sub, basename(file)));
        if (sub === 'jobs') jobs++;
      }
  const expected = plans[0].jobs.length;
  const have = target.folder.listJson('jobs').length;
  if (have < expected) process.stderr.write(`merge: ${have} of ${expected} jobs are finished; the report covers those\n`);
  return jobs;
}
