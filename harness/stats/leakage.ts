/**
 * The leakage audit of a fold: what its training and test parts share (speakers, clip ids, and
 * the same audio under another name), so that a speaker-dependent number is never sold as a
 * speaker-independent one.
 */
import type { Clip } from '../../datasets/types.ts';

export interface LeakageAudit {
  fold: string;
  sharedSpeakers: string[];
  sharedClips: string[];
  /** Test clips whose audio (sha256 of the source) is also a training clip's under another name. */
  sharedContent: { test: string; train: string }[];
  /** Speakers of val that also train (early stopping then sees known voices). */
  valTrainSharedSpeakers: number;
  speakerIndependent: boolean;
}

/** A fold's clip indices, as the audit reads them. */
interface FoldParts {
  name: string;
  train: number[];
  val: number[];
  test: number[];
}

export function auditLeakage(clips: Clip[], fold: FoldParts, promisedIndependent: boolean, hashes?: string[]): LeakageAudit {
  const trainSpeakers = new Set(fold.train.map((i) => clips[i].speaker));
  const trainIds = new Set(fold.train.map((i) => clips[i].id));
  const testSpeakers = new Set(fold.test.map((i) => clips[i].speaker));
  const sharedSpeakers = [...testSpeakers].filter((s) => trainSpeakers.has(s)).sort();
  const sharedClips = fold.test.map((i) => clips[i].id).filter((id) => trainIds.has(id));
  const trainByHash = new Map(hashes ? fold.train.map((i) => [hashes[i], clips[i].id]) : []);
  const sharedContent = hashes
    ? fold.test
        .filter((i) => trainByHash.has(hashes[i]) && trainByHash.get(hashes[i]) !== clips[i].id)
        .map((i) => ({ test: clips[i].id, train: trainByHash.get(hashes[i])! }))
    : [];
  const valTrainSharedSpeakers = new Set(fold.val.map((i) => clips[i].speaker).filter((s) => trainSpeakers.has(s))).size;
  if (promisedIndependent && sharedSpeakers.length > 0) {
    throw new Error(`leakage: fold ${fold.name} promises held-out speakers but shares ${sharedSpeakers.join(', ')}`);
  }
  return { fold: fold.name, sharedSpeakers, sharedClips, sharedContent, valTrainSharedSpeakers, speakerIndependent: sharedSpeakers.length === 0 };
}
