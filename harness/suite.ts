/**
 * The suite format: a declarative YAML file saying which corpora, split, augmentations,
 * features and models a run uses. `loadSuite` validates it completely before any work and
 * reports every problem with its YAML line and field.
 */
import { readFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument, LineCounter, isNode, type Node as YamlNode } from 'yaml';
import { validate, type Path } from '../core/schema.ts';
import { fileComponent, sliceFileName, MAX_NAME_BYTES } from '../core/file-names.ts';
import { AUGMENT_NEEDS, DEFAULT_FEATURES, type AugmentOp } from '../datasets/features/settings.ts';
import type { Normalization } from '../datasets/features/store.ts';
export type { AugmentOp, FeatureSettings, Range } from '../datasets/features/settings.ts';
import type { Emotion, Gender } from '../datasets/types.ts';
import { FEATURE_KINDS, withKindDefaults, featureInputs, type FeatureKind, type SuiteFeatures } from '../datasets/features/registry.ts';
import type { FeatureKindSpec } from '../datasets/features/kind.ts';
import { MODEL_FAMILIES, MODEL_TYPES, type ModelFamily, type ModelType, type ParamsByType } from '../models/registry.ts';
import type { EvaluationSettings } from './stats/evaluate.ts';
import { manifestRows } from '../datasets/corpora/manifest.ts';
import { checkFoldFiles, isEmoBoxFile } from './predefined-folds.ts';
import { CORPORA, PROTOCOLS, DEFAULT_EVALUATION, DEFAULT_SPLIT, DEFAULT_LABELS, suiteSchema, kindSpecs } from './suite-schema.ts';

export interface DatasetSpec {
  corpus: (typeof CORPORA)[number];
  /** Absolute, resolved against the suite file's folder. */
  path?: string;
  /** manifest: the corpus name of its clips. */
  name?: string;
  demographics?: string;
  filter?: { emotions?: Emotion[]; speakers?: string[]; genders?: Gender[]; max_clips?: number };
  synthetic?: {
    speakers_per_corpus?: number;
    clips_per_emotion?: number;
    conditions?: number;
    seed?: number;
    bias?: { corpus?: string; gender?: Gender; snr_db: number };
  };
}

export type ModelSpec = {
  [T in ModelType]: {
    name: string;
    type: T;
    features: FeatureKind;
    params: ParamsByType[T];
    /** type module: the model's file (absolute). */
    module?: string;
    /** How its features are normalized before it sees them (datasets/features/store.ts). */
    normalize?: Normalization;
  };
}[ModelType];

export interface Suite {
  name: string;
  description?: string;
  seeds: number[];
  /** Seeds of model initialisation and batch order, crossed with `seeds`; absent: the split seed. */
  model_seeds?: number[];
  datasets: DatasetSpec[];
  labels: { set: Emotion[]; map: Partial<Record<Emotion, Emotion>> };
  split: {
    protocol: (typeof PROTOCOLS)[number];
    test_fraction: number;
    val_fraction: number;
    folds: number;
    /** predefined: fold files (absolute), each { seed, fold, train, val, test } of clip ids. */
    fold_files?: string[];
    max_folds?: number;
    /** predefined: a clip a fold file names and the data lacks stops the run (refuse), or is left out and counted (drop). */
    missing?: 'refuse' | 'drop';
  };
  augment: { copies: number; ops: AugmentOp[] };
  /** The front end's settings and the feature kinds' blocks (features.embedding, …). */
  features: SuiteFeatures;
  models: ModelSpec[];
  evaluation: EvaluationSettings;
  report: { title: string; spectrograms: boolean };
  /** The YAML text as given (shown in the report's provenance page). */
  source: string;
  sourcePath: string;
}

const kindsOf = (layout: 'image' | 'vector' | 'none') =>
  kindSpecs()
    .filter(([, k]) => k.layout === layout)
    .map(([n]) => n)
    .join(', ');

export class SuiteError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { line?: number; field: string; message: string }[],
  ) {
    super(problems.map((p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.field}: ${p.message}`).join('\n'));
    this.name = 'SuiteError';
  }
}

/**
 * Why a name cannot name files, or null. Names become file names through fileComponent
 * (injective, so distinct names never collide); these are refused outright because a reader
 * would take them for paths.
 */
export function badName(name: string): string | null {
  if (name.trim() === '') return 'must not be empty';
  if (/[/\\]/.test(name)) return `"${name}" holds a path separator; a name is not a path`;
  if (name === '.' || name === '..') return `"${name}" holds ".."; a name is not a path`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return `"${name}" holds a control character`;
  const bytes = fileComponent(name).length;
  if (bytes > MAX_NAME_BYTES) return `"${name.slice(0, 40)}…" is too long to name files (${bytes} bytes as a file name, at most ${MAX_NAME_BYTES})`;
  return null;
}

const fieldName = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(top level)';

/** Load, validate and fill defaults. Throws SuiteError listing every problem. */
export function loadSuite(file: string): Suite {
  if (!existsSync(file)) throw new SuiteError(file, [{ field: '(file)', message: 'suite file does not exist' }]);
  const text = readFileSync(file, 'utf8');
  return parseSuite(text, file);
}

export interface ParseOptions {
  /** Folder that relative dataset paths are resolved against (default: the suite file's). */
  baseDir?: string;
  /** Check that dataset folders exist (off when re-reading a finished run's suite). */
  checkPaths?: boolean;
}

type Problem = { line?: number; field: string; message: string };

/** What the checks share: the raw document, where each problem goes, and how paths resolve. */
interface Checking {
  raw: Record<string, any>;
  add: (path: Path, message: string) => void;
  /** The fields of the problems found so far. */
  fields: () => string[];
  /** A path of the suite, relative to it, with ${VAR} and ${VAR:-default} expanded. */
  path: (value: string, at: Path) => string;
  checkPaths: boolean;
}

/** The YAML document, every syntax and schema problem (with its line), and a problem recorder. */
function readDocument(text: string, file: string) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (path: Path): number | undefined => {
    for (let p = path; p.length >= 0; p = p.slice(0, -1)) {
      const node = p.length === 0 ? doc.contents : doc.getIn(p, true);
      if (isNode(node) && (node as YamlNode).range) return lineCounter.linePos((node as YamlNode).range![0]).line;
      // a missing key: point at its parent
      if (p.length === 0) return undefined;
    }
    return undefined;
  };
  if (doc.errors.length > 0) {
    throw new SuiteError(
      file,
      doc.errors.map((e) => ({ line: e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line, field: '(syntax)', message: e.message.split('\n')[0] })),
    );
  }
  let raw: unknown;
  try {
    // yaml's alias limit (maxAliasCount 100) refuses "billion laughs" documents here.
    raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw new SuiteError(file, [{ field: '(syntax)', message: `cannot be read: ${(e as Error).message}` }]);
  }
  const problems: Problem[] = [];
  const add = (path: Path, message: string) => problems.push({ line: lineOf(path), field: fieldName(path), message });
  return { raw, problems, add };
}

/**
 * The schema's problems, and every model's params in the same pass (every problem of the file at
 * once). Returns how many problems are structural: bad params alone do not stop the checks after.
 */
function checkStructure(raw: unknown, add: (path: Path, message: string) => void): number {
  const structural = validate(raw, suiteSchema());
  for (const e of structural) add(e.path, e.message);
  const rawModels = (raw as { models?: unknown })?.models;
  if (Array.isArray(rawModels))
    rawModels.forEach((m: any, i) => {
      if (m && typeof m === 'object' && MODEL_TYPES.includes(m.type) && (m.params === undefined || (typeof m.params === 'object' && m.params !== null)))
        for (const e of validate(m.params ?? {}, MODEL_FAMILIES[m.type as ModelType].schema, ['models', i, 'params'])) add(e.path, e.message);
    });
  return structural.length;
}

/**
 * ${VAR} and ${VAR:-default} in paths, so one suite serves every machine's data folder. A
 * variable's value is what a user typed in their shell: a relative one is relative to where they
 * typed it (the working directory). A default written in the suite is relative to the suite.
 */
function expander(add: Checking['add']) {
  return (path: string, at: Path) =>
    path.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, def: string | undefined, offset: number) => {
      // As the shell's ${VAR:-default}: a variable set but empty takes the default too.
      const fromEnv = process.env[name] || undefined;
      if (fromEnv !== undefined) return offset === 0 && !isAbsolute(fromEnv) ? resolve(process.cwd(), fromEnv) : fromEnv;
      if (def === undefined)
        add(at, `environment variable ${name} is ${process.env[name] === '' ? 'empty' : 'not set'} and has no default (\${${name}:-default})`);
      return def ?? '';
    });
}

function checkDatasets(c: Checking): DatasetSpec[] {
  return (c.raw.datasets as any[]).map((d, i) => {
    const spec: DatasetSpec = { ...d };
    const at = (field: string): Path => ['datasets', i, field];
    if (d.corpus === 'synthetic') {
      if (d.path) c.add(at('path'), 'the synthetic corpus is generated; it takes no path');
    } else {
      if (!d.path) c.add(at('path'), `is required for corpus ${d.corpus}`);
      else {
        spec.path = c.path(d.path, at('path'));
        const isFile = existsSync(spec.path) && statSync(spec.path).isFile();
        const isDir = existsSync(spec.path) && statSync(spec.path).isDirectory();
        if (c.checkPaths && d.corpus === 'manifest' && !isFile) c.add(at('path'), `manifest file ${spec.path} does not exist`);
        else if (c.checkPaths && d.corpus === 'manifest') checkReadable(() => manifestRows(spec.path!), at('path'), c);
        else if (c.checkPaths && d.corpus !== 'manifest' && !isDir) c.add(at('path'), `folder ${spec.path} does not exist`);
      }
      if (d.synthetic) c.add(at('synthetic'), 'only for corpus: synthetic');
      if (d.name !== undefined && d.corpus !== 'manifest') c.add(at('name'), 'only for corpus: manifest');
    }
    if (d.demographics) {
      spec.demographics = c.path(d.demographics, at('demographics'));
      if (d.corpus !== 'crema-d') c.add(at('demographics'), 'only for corpus: crema-d');
      else if (c.checkPaths && !existsSync(spec.demographics)) c.add(at('demographics'), `file ${spec.demographics} does not exist`);
    }
    return spec;
  });
}

function checkModels(c: Checking): ModelSpec[] {
  const names = new Set<string>();
  return (c.raw.models as any[]).map((m, i): ModelSpec => {
    const type = m.type as ModelType;
    const name = m.name ?? type;
    const at = (...field: (string | number)[]): Path => ['models', i, ...field];
    const bad = badName(name);
    if (bad) c.add(at('name'), bad);
    if (names.has(name)) c.add(at('name'), `duplicate model name "${name}" (give each a name)`);
    names.add(name);
    const fam = MODEL_FAMILIES[type] as ModelFamily<Record<string, unknown>>;
    const features: FeatureKind = m.features ?? fam.defaultFeatures;
    const kind = FEATURE_KINDS[features] as FeatureKindSpec<SuiteFeatures>;
    if (fam.reads !== 'any' && kind.layout !== fam.reads)
      c.add(at('features'), `${type} reads ${fam.reads} features (${kindsOf(fam.reads)}), not ${features} (${kind.layout})`);
    if (kind.settings && c.raw.features?.[kind.settings.key] === undefined)
      c.add(at('features'), `${features} needs its settings: features.${kind.settings.key} (see serbench schema)`);
    const params = { ...fam.defaults, ...(m.params ?? {}) };
    for (const p of fam.check?.(params) ?? []) c.add(at('params', p.param), p.message);
    checkFamilyFiles(fam, params, at, c, i);
    let module: string | undefined;
    if (type === 'module') {
      if (typeof m.module !== 'string') c.add(at('module'), 'type module needs module: the file of your model');
      else {
        module = c.path(m.module, at('module'));
        if (c.checkPaths && !existsSync(module)) c.add(at('module'), `${module} does not exist`);
      }
    } else if (m.module !== undefined) c.add(at('module'), 'only for type: module');
    if (m.normalize && m.normalize !== 'none' && kind.layout === 'none') c.add(at('normalize'), `${type} reads no features: there is nothing to normalize`);
    if (m.normalize === 'per_utterance' && kind.layout === 'vector')
      c.add(at('normalize'), 'per_utterance normalizes an image over its frames; a vector has none (per_speaker, or none)');
    return {
      name,
      type,
      features,
      params,
      ...(module ? { module } : {}),
      ...(m.normalize && m.normalize !== 'none' ? { normalize: m.normalize } : {}),
    } as ModelSpec;
  });
}

/** A family's file params (an outputs file, a classifier) resolved against the suite and read as a job would read them. */
function checkFamilyFiles(
  fam: ModelFamily<Record<string, unknown>>,
  params: Record<string, unknown>,
  at: (...f: (string | number)[]) => Path,
  c: Checking,
  i: number,
): void {
  for (const field of fam.paths ?? []) {
    if (typeof params[field] !== 'string' || params[field] === '') continue;
    params[field] = c.path(params[field] as string, at('params', field));
    if (c.checkPaths && !existsSync(params[field] as string)) c.add(at('params', field), `${params[field]} does not exist`);
  }
  // Only params that passed their schema and exist are read (a required file param left out is said once).
  if (c.checkPaths && fam.checkFiles && !problemsIn(c, `models[${i}]`))
    checkReadable(() => fam.checkFiles!(params, c.raw.labels?.set ?? DEFAULT_LABELS.set), at('params'), c);
}

/** A folder's fold files: a run's folds/*.json, or EmoBox's fold_<n>/*_{train,test}_fold_<n>.jsonl. */
function foldFilesIn(dir: string): string[] {
  const json = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'label_map.json')
    .sort()
    .map((f) => join(dir, f));
  const emobox = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^fold_\d+$/.test(e.name))
    .flatMap((e) =>
      readdirSync(join(dir, e.name))
        .filter(isEmoBoxFile)
        .map((f) => join(dir, e.name, f)),
    )
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return [...json, ...emobox];
}

/** An ensemble's members are other models of the suite, none an ensemble itself. */
function checkEnsembles(models: ModelSpec[], c: Checking): void {
  models.forEach((m, i) => {
    if (m.type !== 'ensemble') return;
    for (const member of (m.params as { members: string[] }).members) {
      const other = models.find((x) => x.name === member);
      if (!other) c.add(['models', i, 'params', 'members'], `"${member}" is not a model of this suite (its models: ${models.map((x) => x.name).join(', ')})`);
      else if (other.type === 'ensemble') c.add(['models', i, 'params', 'members'], `"${member}" is an ensemble: members are models that make predictions`);
    }
  });
}

/** The split with its defaults; predefined folds (EmoBox-style committed folds, or another run's folds/): the files are listed now. */
function checkSplit(c: Checking): Suite['split'] {
  const r = c.raw;
  const split: Suite['split'] = { ...DEFAULT_SPLIT, ...(r.split ?? {}) };
  if (split.protocol === 'predefined') {
    const where = typeof r.split?.folds === 'string' ? c.path(r.split.folds, ['split', 'folds']) : undefined;
    if (!where) c.add(['split', 'folds'], 'protocol predefined needs folds: a folder of fold files or one fold file');
    else if (!existsSync(where)) {
      if (c.checkPaths) c.add(['split', 'folds'], `${where} does not exist`);
    } else {
      split.fold_files = statSync(where).isDirectory() ? foldFilesIn(where) : [where];
      if (split.fold_files.length === 0)
        c.add(['split', 'folds'], `${where} holds no fold files (.json fold files, or EmoBox's fold_<n>/<corpus>_{train,test}_fold_<n>.jsonl)`);
      else if (c.checkPaths) checkReadable(() => checkFoldFiles(split.fold_files!), ['split', 'folds'], c);
    }
    split.folds = 0;
  } else if (typeof split.folds !== 'number') c.add(['split', 'folds'], `a folder of fold files is only for protocol predefined`);
  if (split.test_fraction + split.val_fraction >= 0.95) c.add(['split'], 'test_fraction + val_fraction leaves no training data');
  return split;
}

/** The front end's settings with defaults; a kind's file paths (an encoder, embedding files) are relative to the suite, like datasets'. */
function checkFeatures(c: Checking): SuiteFeatures {
  const features: SuiteFeatures = withKindDefaults({ ...DEFAULT_FEATURES, ...(c.raw.features ?? {}) });
  const blocks = features as unknown as Record<string, Record<string, unknown> | undefined>;
  for (const [, k] of kindSpecs()) {
    const block = k.settings && blocks[k.settings.key];
    if (!k.settings || !block) continue;
    const resolved = { ...block };
    for (const field of k.settings.paths) {
      if (typeof block[field] !== 'string') continue;
      const at = ['features', k.settings.key, field];
      resolved[field] = c.path(block[field] as string, at);
      if (c.checkPaths && !existsSync(resolved[field] as string)) c.add(at, `${resolved[field]} does not exist`);
    }
    blocks[k.settings.key] = resolved;
  }
  if ((features.n_fft & (features.n_fft - 1)) !== 0) c.add(['features', 'n_fft'], `must be a power of two, got ${features.n_fft}`);
  // The files the models' feature kinds read (embeddings, an encoder), read as the run would: refused now, not after hours.
  if (c.checkPaths && !problemsIn(c, 'features'))
    checkReadable(
      () =>
        featureInputs(features, [
          ...new Set((c.raw.models as { features?: FeatureKind; type: ModelType }[]).map((m) => m.features ?? MODEL_FAMILIES[m.type].defaultFeatures)),
        ]),
      ['features'],
      c,
    );
  for (const [i, op] of ((c.raw.augment?.ops ?? []) as AugmentOp[]).entries()) {
    const key = AUGMENT_NEEDS[op.type];
    if (key && op[key] === undefined) c.add(['augment', 'ops', i], `${op.type} needs ${key}`);
  }
  return features;
}

const problemsIn = (c: Checking, prefix: string) => c.fields().some((f) => f.startsWith(prefix));

/** A file the suite names, read as run would read it: what it would refuse is a problem of the suite now. */
function checkReadable(read: () => unknown, at: Path, c: Checking): void {
  try {
    read();
  } catch (e) {
    c.add(at, (e as Error).message);
  }
}

/** Slice names become file names (slices/<model>__<field>.csv): each must fit one. */
function checkSlices(c: Checking): void {
  const e = c.raw.evaluation ?? {};
  (e.slices ?? []).forEach((f: string, i: number) => {
    if (sliceFileName(f).length > MAX_NAME_BYTES)
      c.add(['evaluation', 'slices', i], `"${f.slice(0, 40)}…" is too long to name files (at most ${MAX_NAME_BYTES} bytes)`);
  });
  (e.intersections ?? []).forEach((fs: string[], i: number) => {
    if (sliceFileName(fs.join('|')).length > MAX_NAME_BYTES)
      c.add(['evaluation', 'intersections', i], `${fs.join(' × ')} is too long to name files (at most ${MAX_NAME_BYTES} bytes)`);
  });
}

export function parseSuite(text: string, file: string, options: ParseOptions = {}): Suite {
  const { raw, problems, add } = readDocument(text, file);
  // A malformed structure stops here; bad params alone do not stop the cross-field checks below.
  if (checkStructure(raw, add) > 0) throw new SuiteError(file, problems);
  const r = raw as Record<string, any>;
  const base = options.baseDir ?? dirname(resolve(file));
  const expand = expander(add);
  const c: Checking = {
    raw: r,
    add,
    fields: () => problems.map((p) => p.field),
    path: (value, at) => resolve(base, expand(value, at)),
    checkPaths: options.checkPaths ?? true,
  };
  const datasets = checkDatasets(c);
  const models = checkModels(c);
  checkEnsembles(models, c);
  const split = checkSplit(c);
  const features = checkFeatures(c);
  checkSlices(c);
  if (problems.length) throw new SuiteError(file, problems);
  return {
    name: r.name,
    description: r.description,
    seeds: r.seeds ?? [0],
    model_seeds: r.model_seeds,
    datasets,
    labels: { set: r.labels?.set ?? DEFAULT_LABELS.set, map: r.labels?.map ?? DEFAULT_LABELS.map },
    split,
    augment: { copies: r.augment?.copies ?? (r.augment?.ops?.length ? 1 : 0), ops: r.augment?.ops ?? [] },
    features,
    models,
    evaluation: { ...DEFAULT_EVALUATION, ...(r.evaluation ?? {}) },
    report: { title: r.report?.title ?? r.name, spectrograms: r.report?.spectrograms ?? true },
    source: text,
    sourcePath: resolve(file),
  };
}
