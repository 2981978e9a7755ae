import { describe, it, expect } from 'vitest';
import { makeFolds } from '../harness/splits.ts';
import { auditLeakage } from '../harness/stats/leakage.ts';
import { synthesizeCorpus, DEFAULT_SYNTHETIC } from '../datasets/corpora/synthetic.ts';
import { loadCorpus } from '../datasets/corpora/load.ts';
import { join } from 'node:path';
import { CORPORA_SAMPLE, haveShared } from './paths.ts';
import type { Clip } from '../datasets/types.ts';

const synth = synthesizeCorpus({ ...DEFAULT_SYNTHETIC, speakersPerCorpus: 6, clipsPerEmotion: 5 }).clips;
const SAMPLE = haveShared('split protocols on the real corpora', 'corpora-sample');
const real = SAMPLE ? (['ravdess', 'tess', 'savee'] as const).flatMap((c) => loadCorpus(c, join(CORPORA_SAMPLE, c)).clips) : [];
const split = (protocol: any, extra = {}) => ({ protocol, test_fraction: 0.2, val_fraction: 0.1, folds: 4, ...extra });
const speakers = (clips: Clip[], idx: number[]) => new Set(idx.map((i) => clips[i].speaker));
const covers = (clips: Clip[], f: { train: number[]; val: number[]; test: number[] }) => {
  const all = [...f.train, ...f.val, ...f.test].sort((a, b) => a - b);
  expect(all).toEqual(clips.map((_, i) => i)); // every clip exactly once
};

describe.each([['synthetic', synth] as const, ...(SAMPLE ? [['real corpora', real] as const] : [])])('split protocols on %s', (_, clips) => {
  it('stratified: each class within ±1 of the exact test and validation shares', () => {
    const [f] = makeFolds(clips, split('stratified'), 3);
    covers(clips, f);
    const byClass = new Map<string, number[]>();
    clips.forEach((c, i) => byClass.set(c.emotion, [...(byClass.get(c.emotion) ?? []), i]));
    for (const [emotion, members] of byClass) {
      const inTest = f.test.filter((i) => clips[i].emotion === emotion).length;
      expect(Math.abs(inTest - 0.2 * members.length), emotion).toBeLessThanOrEqual(1);
      const inVal = f.val.filter((i) => clips[i].emotion === emotion).length;
      expect(Math.abs(inVal - 0.125 * (members.length - inTest)), emotion).toBeLessThanOrEqual(1);
    }
    expect(auditLeakage(clips, f, false).sharedSpeakers.length).toBeGreaterThan(0); // speaker-dependent, and the audit says so
  });

  it('speaker-independent: no speaker in two of train, validation and test', () => {
    const [f] = makeFolds(clips, split('speaker-independent'), 3);
    covers(clips, f);
    const [tr, va, te] = [speakers(clips, f.train), speakers(clips, f.val), speakers(clips, f.test)];
    for (const s of te) expect(tr.has(s) || va.has(s)).toBe(false);
    for (const s of va) expect(tr.has(s)).toBe(false);
    expect(auditLeakage(clips, f, true)).toMatchObject({ sharedSpeakers: [], sharedClips: [], speakerIndependent: true });
  });

  it('group k-fold: every speaker tested exactly once, never trained on in its fold', () => {
    const folds = makeFolds(clips, split('group-kfold'), 1);
    expect(folds.length).toBe(4);
    const tested = folds.flatMap((f) => [...speakers(clips, f.test)]);
    expect(new Set(tested).size).toBe(tested.length);
    expect(new Set(tested).size).toBe(new Set(clips.map((c) => c.speaker)).size);
    for (const f of folds) {
      covers(clips, f);
      expect(auditLeakage(clips, f, true).sharedSpeakers).toEqual([]);
    }
  });

  it('leave-one-corpus-out and leave-one-speaker-out', () => {
    const loco = makeFolds(clips, split('leave-one-corpus-out'), 1);
    expect(loco.map((f) => f.name).sort()).toEqual([...new Set(clips.map((c) => `without-${c.corpus}`))].sort());
    for (const f of loco) expect(new Set(f.test.map((i) => clips[i].corpus)).size).toBe(1);
    for (const f of loco) expect(f.train.some((i) => clips[i].corpus === clips[f.test[0]].corpus)).toBe(false);
    const loso = makeFolds(clips, split('leave-one-speaker-out', { max_folds: 3 }), 1);
    expect(loso.length).toBe(3);
    for (const f of loso) expect(speakers(clips, f.test).size).toBe(1);
  });

  it('is deterministic per seed and differs across seeds', () => {
    expect(makeFolds(clips, split('stratified'), 5)).toEqual(makeFolds(clips, split('stratified'), 5));
    expect(makeFolds(clips, split('stratified'), 5)[0].test).not.toEqual(makeFolds(clips, split('stratified'), 6)[0].test);
  });
});

it('the leakage audit refuses a fold that breaks a speaker-independence promise', () => {
  const [f] = makeFolds(synth, split('stratified'), 1);
  expect(() => auditLeakage(synth, f, true)).toThrow(/leakage: fold random promises held-out speakers/);
});
