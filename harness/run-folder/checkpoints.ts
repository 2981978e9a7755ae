/**
 * A network's checkpoints in the run folder (checkpoints/<job id>.json), written atomically after
 * every epoch and removed when the job's file is written: a run killed mid-fit resumes that fit
 * from its last finished epoch. A checkpoint names the suite, the fold's data and the model's
 * params it belongs to; any other is ignored (and removed).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { CheckpointStore, FitCheckpoint } from '../../models/classifier.ts';
import { writeAtomic, type RunFolder } from './folder.ts';

/** Typed arrays as JSON: {"$f32": base64} (or $i32). */
function replacer(_key: string, v: unknown): unknown {
  if (v instanceof Float32Array) return { $f32: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (v instanceof Int32Array) return { $i32: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  return v;
}
function reviver(_key: string, v: unknown): unknown {
  if (v && typeof v === 'object' && ('$f32' in v || '$i32' in v)) {
    const b = Buffer.from((v as Record<string, string>).$f32 ?? (v as Record<string, string>).$i32, 'base64');
    const copy = new Uint8Array(b).buffer;
    return '$f32' in v ? new Float32Array(copy) : new Int32Array(copy);
  }
  return v;
}

export interface CheckpointOwner {
  job: string;
  suiteHash: string;
  foldFingerprint: string;
  /** The model's spec (type, features, params) and seed. */
  model: unknown;
}

const ownerKey = (o: CheckpointOwner) => createHash('sha256').update(JSON.stringify(o)).digest('hex');

export const checkpointFile = (folder: RunFolder, job: string) => folder.path('checkpoints', `${job}.json`);

/** The checkpoints of one job's fit. */
export function jobCheckpoints(folder: RunFolder, owner: CheckpointOwner): CheckpointStore & { remove(): void } {
  const file = checkpointFile(folder, owner.job);
  const key = ownerKey(owner);
  return {
    load() {
      if (!existsSync(file)) return null;
      try {
        const c = JSON.parse(readFileSync(file, 'utf8'), reviver) as { owner: string; checkpoint: FitCheckpoint };
        if (c.owner === key) return c.checkpoint;
      } catch {
        // A damaged checkpoint (it is written atomically, so a hand-edited one): the fit starts afresh.
      }
      rmSync(file, { force: true });
      return null;
    },
    save(checkpoint) {
      writeAtomic(file, JSON.stringify({ owner: key, checkpoint }, replacer));
    },
    remove() {
      rmSync(file, { force: true });
    },
  };
}
