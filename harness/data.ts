/**
 * Assemble a suite's clips: load every dataset, harmonize labels (corpus label → Emotion →
 * the suite's map and set), apply filters, and keep the record of what was skipped and why.
 */
import { clipPath, type Clip, type Emotion, type SkippedFile, type LoadResult, type LabelMappingRow } from '../datasets/types.ts';
import { sourceContentHash } from '../datasets/audio/read.ts';
import { loadCorpus } from '../datasets/corpora/load.ts';
import { loadManifest } from '../datasets/corpora/manifest.ts';
import { synthesizeCorpus, DEFAULT_SYNTHETIC, DEFAULT_CONDITIONS } from '../datasets/corpora/synthetic.ts';
import { basename, dirname, extname, relative, sep } from 'node:path';
import { Rng } from '../core/random.ts';
import type { Suite, DatasetSpec } from './suite.ts';

export interface SuiteData {
  clips: Clip[];
  /** sha256 of each clip's source (same order as clips): the run's identity and the duplicate audit. */
  hashes: string[];
  /** Class names, index = class id. */
  classes: Emotion[];
  labels: Int32Array;
  skipped: SkippedFile[];
  /** Files used with a note (a known misspelling accepted). */
  notes: SkippedFile[];
  labelMapping: LabelMappingRow[];
}

/** One dataset entry's clips (the synthetic corpus is generated: no file is read). */
export function loadDataset(d: DatasetSpec, sampleRate: number): LoadResult {
  if (d.corpus === 'synthetic') {
    const o = d.synthetic ?? {};
    return synthesizeCorpus({
      ...DEFAULT_SYNTHETIC,
      speakersPerCorpus: o.speakers_per_corpus ?? DEFAULT_SYNTHETIC.speakersPerCorpus,
      clipsPerEmotion: o.clips_per_emotion ?? DEFAULT_SYNTHETIC.clipsPerEmotion,
      conditions: DEFAULT_CONDITIONS.slice(0, o.conditions ?? 2),
      seed: o.seed ?? DEFAULT_SYNTHETIC.seed,
      sampleRate: Math.max(sampleRate, 16000),
      bias: o.bias ? { corpus: o.bias.corpus, gender: o.bias.gender, snrDb: o.bias.snr_db } : undefined,
    });
  }
  if (d.corpus === 'manifest') return loadManifest(d.path!, d.name);
  return loadCorpus(d.corpus, d.path!, { demographics: d.demographics });
}

/** Keep at most n clips, stratified by emotion (deterministic). */
function capClips(clips: Clip[], n: number, seed: string): Clip[] {
  if (clips.length <= n) return clips;
  const rng = new Rng(seed);
  const byEmotion = new Map<string, Clip[]>();
  for (const c of clips) byEmotion.set(c.emotion, [...(byEmotion.get(c.emotion) ?? []), c]);
  const keep = new Set<Clip>();
  for (const group of byEmotion.values()) {
    for (const c of rng.shuffle([...group]).slice(0, Math.round((group.length * n) / clips.length))) keep.add(c);
  }
  return clips.filter((c) => keep.has(c));
}

/**
 * `knownHashes` (clip id → sha256): sources a parent process hashed a moment ago, handed to its
 * job processes so that they do not read every file again (seconds per process at 12k clips).
 */
export function loadSuiteData(suite: Suite, knownHashes: Record<string, string> = {}, o: { hash?: boolean } = {}): SuiteData {
  const clips: Clip[] = [];
  const skipped: SkippedFile[] = [];
  const notes: SkippedFile[] = [];
  const mapping = new Map<string, LabelMappingRow>();
  // A clip shorter than one analysis frame has no spectrum to speak of: skipped with the reason.
  const minSeconds = suite.features.n_fft / suite.features.sample_rate;
  for (const d of suite.datasets) {
    const loaded = loadDataset(d, suite.features.sample_rate);
    skipped.push(...loaded.skipped);
    notes.push(...(loaded.notes ?? []));
    let kept = loaded.clips.filter((c) => {
      if (c.duration !== undefined && c.duration < minSeconds) {
        skipped.push({
          path: clipPath(c),
          reason: `${(1000 * c.duration).toFixed(1)} ms is shorter than one analysis frame (n_fft ${suite.features.n_fft} at ${suite.features.sample_rate} Hz)`,
        });
        return false;
      }
      const f = d.filter;
      if (f?.speakers && !f.speakers.includes(c.speaker)) return false;
      if (f?.genders && (!c.gender || !f.genders.includes(c.gender))) return false;
      if (f?.emotions && !f.emotions.includes(c.emotion)) return false;
      return true;
    });
    if (d.filter?.max_clips) kept = capClips(kept, d.filter.max_clips, `cap:${d.corpus}`);
    for (const c of kept) {
      const mapped = suite.labels.map[c.emotion] ?? c.emotion;
      const label = suite.labels.set.includes(mapped) ? mapped : null;
      const key = `${c.corpus}|${c.originalLabel}`;
      const row = mapping.get(key) ?? { corpus: c.corpus, originalLabel: c.originalLabel, emotion: c.emotion, label, clips: 0 };
      row.clips++;
      mapping.set(key, row);
      if (label) clips.push({ ...c, emotion: label });
    }
  }
  const ids = new Set<string>();
  for (const c of clips) {
    if (ids.has(c.id)) throw new Error(`clip id ${c.id} appears twice: is the same corpus listed twice in the suite?`);
    ids.add(c.id);
  }
  // Hash every source now: a file that cannot be read is skipped with the reason, not met mid-run.
  const readable: Clip[] = [];
  const hashes: string[] = [];
  for (const c of clips) {
    try {
      // Without hashing (validate): '' for every clip; the files are read by run, not now.
      hashes.push(knownHashes[c.id] ?? (o.hash === false ? '' : sourceContentHash(c)));
      readable.push(c);
    } catch (e) {
      skipped.push({ path: clipPath(c), reason: `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    }
  }
  clips.length = 0;
  clips.push(...readable);
  const classes = suite.labels.set;
  return {
    clips,
    hashes,
    notes,
    classes,
    labels: Int32Array.from(clips, (c) => classes.indexOf(c.emotion)),
    skipped,
    labelMapping: [...mapping.values()].sort((a, b) => a.corpus.localeCompare(b.corpus) || a.originalLabel.localeCompare(b.originalLabel)),
  };
}

/**
 * Every name a clip goes by, to its id: the id (`ravdess/03-01-…`), its path relative to its
 * corpus folder (a manifest's: the manifest's folder), and its file stem where no other clip has
 * it. What outputs made elsewhere (type: predictions) and committed folds may name clips by.
 */
export function clipKeys(suite: Suite, clips: Clip[]): Map<string, string> {
  const roots = new Map<string, string>();
  for (const d of suite.datasets)
    if (d.path)
      roots.set(d.corpus === 'manifest' ? (d.name ?? basename(d.path, extname(d.path))) : d.corpus, d.corpus === 'manifest' ? dirname(d.path) : d.path);
  const keys = new Map<string, string>();
  const stems = new Map<string, string[]>();
  for (const c of clips) {
    keys.set(c.id, c.id);
    if (c.source.kind !== 'file') continue;
    const root = roots.get(c.corpus);
    if (root) keys.set(relative(root, c.source.path).split(sep).join('/'), c.id);
    const stem = basename(c.source.path, extname(c.source.path));
    stems.set(stem, [...(stems.get(stem) ?? []), c.id]);
  }
  for (const [stem, ids] of stems) if (ids.length === 1 && !keys.has(stem)) keys.set(stem, ids[0]);
  return keys;
}
