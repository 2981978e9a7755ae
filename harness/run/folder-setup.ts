/**
 * A run folder's fixed inputs, written when a run starts: the suite, the plan, each fold's clip
 * ids and the data manifest. A folder holding another suite's run is refused; when the same
 * suite's data changed since the folder was written, what changed is said (the jobs whose folds
 * changed then run again).
 */
import { mkdirSync } from 'node:fs';
import type { Suite } from '../suite.ts';
import { writeJson, writeAtomic, removeStaleTemporaries, type RunFolder } from '../run-folder/folder.ts';
import { RunReader } from '../run-folder/read-run.ts';
import type { PlanRecord } from '../run-folder/records.ts';
import type { RunData } from '../stats/run-records.ts';
import { foldFile, type Prepared } from './plan.ts';

/** Write the run's fixed inputs; returns what changed in the data since the folder was last written, if anything did. */
export function initRunFolder(suite: Suite, p: Prepared, folder: RunFolder): string | null {
  const before = new RunReader(folder.dir);
  let change: string | null = null;
  if (before.has('plan.json')) {
    const old = before.plan();
    if (old.suiteHash !== p.hash) {
      throw new Error(
        `${folder.dir} holds a run of a different suite (${old.suite}, ${old.suiteHash}), or of files its features read that have changed since (an encoder, embeddings); use another --out or delete it`,
      );
    }
    if (old.dataHash !== p.dataHash) change = dataChange(before, p);
  }
  mkdirSync(folder.dir, { recursive: true });
  for (const sub of ['.', 'jobs', 'failed', 'shards', 'checkpoints', 'models']) removeStaleTemporaries(folder.path(sub));
  writeAtomic(folder.path('suite.yaml'), suite.source);
  writeJson(folder.path('plan.json'), planRecord(suite, p));
  // Each fold's clip ids, so that others can re-score the run or reuse its folds.
  for (const [seed, folds] of p.foldsBySeed)
    for (const f of folds) {
      const ids = (idx: number[]) => idx.map((i) => p.data.clips[i].id);
      writeJson(foldFile(folder, seed, f.name), { seed, fold: f.name, train: ids(f.train), val: ids(f.val), test: ids(f.test) });
    }
  writeJson(folder.path('data.json'), dataRecord(p));
  return change;
}

function planRecord(suite: Suite, p: Prepared): PlanRecord {
  return {
    suite: suite.name,
    suitePath: suite.sourcePath,
    suiteHash: p.hash,
    dataHash: p.dataHash,
    ...(p.featureInputs.length ? { featureInputs: p.featureInputs } : {}),
    jobs: p.jobs,
    folds: Object.fromEntries(
      [...p.foldsBySeed].map(([s, f]) => [
        s,
        f.map((x) => ({ name: x.name, train: x.train.length, val: x.val.length, test: x.test.length, fingerprint: p.fingerprints.get(`${s}/${x.name}`)! })),
      ]),
    ),
  };
}

function dataRecord(p: Prepared): RunData {
  return {
    classes: p.data.classes,
    clips: p.data.clips.map((c, i) => ({
      id: c.id,
      hash: p.data.hashes[i],
      path: c.source.kind === 'file' ? c.source.path : null,
      corpus: c.corpus,
      speaker: c.speaker,
      gender: c.gender,
      age: c.age,
      race: c.race,
      ethnicity: c.ethnicity,
      emotion: c.emotion,
      originalLabel: c.originalLabel,
      intensity: c.intensity,
      sentence: c.sentence,
      duration: c.duration,
      attributes: c.attributes,
    })),
    skipped: p.data.skipped,
    notes: p.data.notes,
    labelMapping: p.data.labelMapping,
    leakage: p.audits,
    ...(p.splitNotes.length ? { splitNotes: p.splitNotes } : {}),
  };
}

/** What differs between the data a folder was run on and the data now. */
function dataChange(before: RunReader, p: Prepared): string {
  if (!before.has('data.json')) return 'the data changed since this folder was run';
  const was = new Map(before.data().clips.map((c) => [c.id, `${c.hash}|${c.emotion}`]));
  const now = new Map(p.data.clips.map((c, i) => [c.id, `${p.data.hashes[i]}|${c.emotion}`]));
  const added = [...now.keys()].filter((id) => !was.has(id));
  const removed = [...was.keys()].filter((id) => !now.has(id));
  const changed = [...now.keys()].filter((id) => was.has(id) && was.get(id) !== now.get(id));
  const list = (xs: string[]) => xs.slice(0, 3).join(', ') + (xs.length > 3 ? ', …' : '');
  const parts = [
    added.length ? `${added.length} clip(s) added (${list(added)})` : '',
    removed.length ? `${removed.length} removed (${list(removed)})` : '',
    changed.length ? `${changed.length} changed content or label (${list(changed)})` : '',
  ].filter(Boolean);
  return `the data changed since this folder was run: ${parts.join('; ') || 'clip order or labels differ'}; jobs whose folds changed run again`;
}
