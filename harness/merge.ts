/** `serbench merge`: shard folders of one suite become one run folder. */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RunFolder, readJson, writeAtomic } from './runfolder.ts';
import type { PlanRecord } from './records.ts';

export function mergeShards(out: string, shards: string[]): number {
  if (shards.length === 0) throw new Error('merge needs at least one shard folder');
  const plans = shards.map((s) => {
    const f = join(s, 'plan.json');
    if (!existsSync(f)) throw new Error(`${s}: not a run folder (no plan.json)`);
    return readJson<PlanRecord>(f);
  });
  const hash = plans[0].suiteHash;
  plans.forEach((p, i) => {
    if (p.suiteHash !== hash)
      throw new Error(`${shards[i]} is a run of suite ${p.suite} (${p.suiteHash}), not ${plans[0].suite} (${hash}): refusing to merge different suites`);
    if (p.dataHash !== plans[0].dataHash)
      throw new Error(`${shards[i]} was run on other data than ${shards[0]} (the clips or their contents differ): refusing to merge`);
  });
  const target = new RunFolder(out);
  if (existsSync(target.path('plan.json')) && readJson<{ suiteHash: string }>(target.path('plan.json')).suiteHash !== hash) {
    throw new Error(`${out} already holds a run of another suite`);
  }
  mkdirSync(out, { recursive: true });
  for (const f of ['suite.yaml', 'plan.json', 'data.json', 'examples.json']) {
    const src = shards.map((s) => join(s, f)).find(existsSync);
    if (src) writeAtomic(target.path(f), readFileSync(src));
  }
  let jobs = 0;
  for (const s of shards) {
    const from = new RunFolder(s);
    for (const file of from.listJson('jobs')) {
      mkdirSync(target.path('jobs'), { recursive: true });
      copyFileSync(file, target.path('jobs', basename(file)));
      jobs++;
    }
    for (const file of from.listJson('failed')) {
      mkdirSync(target.path('failed'), { recursive: true });
      copyFileSync(file, target.path('failed', basename(file)));
    }
    for (const file of from.listJson('folds')) {
      mkdirSync(target.path('folds'), { recursive: true });
      copyFileSync(file, target.path('folds', basename(file)));
    }
    for (const file of from.listJson('shards')) {
      mkdirSync(target.path('shards'), { recursive: true });
      copyFileSync(file, target.path('shards', basename(file)));
    }
  }
  const expected = plans[0].jobs.length;
  const have = new RunFolder(out).listJson('jobs').length;
  if (have < expected) process.stderr.write(`merge: ${have} of ${expected} jobs are finished; the report covers those\n`);
  return jobs;
}
