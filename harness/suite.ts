/**
 * The suite format: a declarative YAML file saying which corpora, split, augmentations,
 * features and models a run uses. `loadSuite` validates it completely before any work and
 * reports every problem with its YAML line and field.
 */
import { readFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument, LineCounter, isNode, type Node as YamlNode } from 'yaml';
import { validate, toJsonSchema, withDefaults, type Schema, type ObjectSchema, type Path } from '../datasets/schema.ts';
import { AUGMENT_SCHEMA, AUGMENT_NEEDS, FEATURE_SCHEMA, DEFAULT_FEATURES, type AugmentOp } from '../datasets/settings.ts';
export type { AugmentOp, FeatureSettings, Range } from '../datasets/settings.ts';
import { PROPORTION_METHODS, type ProportionMethod } from './stats/intervals.ts';
import { EMOTIONS, type Emotion, type Gender } from '../datasets/types.ts';
import { FILE_CORPORA } from '../datasets/corpora.ts';
import { FEATURE_KINDS, FEATURE_KIND_NAMES, withKindDefaults, type FeatureKind, type SuiteFeatures } from '../datasets/feature-kinds.ts';
import type { FeatureKindSpec } from '../datasets/feature-kind.ts';
import { MODEL_FAMILIES, MODEL_TYPES, type ModelFamily, type ModelType, type ParamsByType } from '../models/registry.ts';

export const CORPORA = [...FILE_CORPORA, 'synthetic', 'manifest'] as const;
export const PROTOCOLS = ['stratified', 'speaker-independent', 'group-kfold', 'leave-one-corpus-out', 'leave-one-speaker-out', 'predefined'] as const;
export const SLICE_FIELDS = ['corpus', 'speaker', 'gender', 'age_band', 'emotion', 'intensity', 'race', 'ethnicity'] as const;
/** A clip field, or an attribute a manifest gives (any other column name). */
export type SliceField = (typeof SLICE_FIELDS)[number] | (string & {});
const sliceField: Schema = {
  anyOf: [
    { type: 'string', enum: SLICE_FIELDS },
    { type: 'string', description: 'an attribute column of a manifest corpus (language, condition, …)' },
  ],
};
export const RANK_METRICS = ['uar', 'accuracy', 'macro_f1'] as const;
export type RankMetric = (typeof RANK_METRICS)[number];

const emotion: Schema = { type: 'string', enum: EMOTIONS };
const kindSpecs = () => Object.entries(FEATURE_KINDS) as [FeatureKind, FeatureKindSpec<SuiteFeatures>][];
/** The evaluation settings' defaults, stated once: the loader fills them, the schema shows them. */
export const DEFAULT_EVALUATION: Suite['evaluation'] = {
  bootstrap: 1000,
  confidence: 0.95,
  ece_bins: 15,
  slices: ['corpus', 'speaker', 'gender'],
  intersections: [['corpus', 'gender']],
  min_slice: 30,
  temperature_scaling: true,
  rank_by: 'uar',
  proportion_interval: 'wilson',
};

/** The split's and the labels' defaults, stated once: the loader fills them, the schema shows them. */
export const DEFAULT_SPLIT = { protocol: 'stratified', test_fraction: 0.2, val_fraction: 0.1, folds: 5 } as const;
export const DEFAULT_LABELS: Suite['labels'] = { set: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'], map: { calm: 'neutral' } };

const SPLIT_SCHEMA: ObjectSchema = {
  type: 'object',
  properties: {
    protocol: { type: 'string', enum: PROTOCOLS },
    test_fraction: { type: 'number', minimum: 0.01, maximum: 0.9 },
    val_fraction: { type: 'number', minimum: 0, maximum: 0.9 },
    folds: {
      anyOf: [
        { type: 'number', integer: true, minimum: 2, maximum: 100 },
        { type: 'string', description: 'predefined: a folder of fold files (as a run writes in folds/) or one fold file' },
      ],
      description: 'group-kfold: number of folds; predefined: where the fold files are',
    },
    max_folds: { type: 'number', integer: true, minimum: 1, maximum: 10000, description: 'leave-one-*-out: run only the first N folds' },
  },
};

const SUITE_SCHEMA: Schema = {
  type: 'object',
  required: ['name', 'datasets', 'models'],
  properties: {
    name: { type: 'string', description: 'suite name, shown in the report' },
    description: { type: 'string' },
    seeds: {
      type: 'array',
      items: { type: 'number', integer: true, minimum: 0, maximum: 2 ** 31 - 1 },
      minItems: 1,
      maxItems: 100,
      description: 'split seeds: one split (and augmentation draw) per seed',
      default: [0],
    },
    model_seeds: {
      type: 'array',
      items: { type: 'number', integer: true, minimum: 0, maximum: 2 ** 31 - 1 },
      minItems: 1,
      maxItems: 100,
      description: 'model seeds: every job runs once per (split seed, model seed); default: the split seed',
    },
    datasets: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['corpus'],
        properties: {
          corpus: { type: 'string', enum: CORPORA },
          path: {
            type: 'string',
            description: 'corpus folder (manifest: the CSV or JSONL file), relative to the suite file (not for synthetic); ${VAR:-default} is expanded',
          },
          name: { type: 'string', description: 'manifest: the corpus name its clips carry (default: the file name)' },
          demographics: { type: 'string', description: 'CREMA-D VideoDemographics.csv (default: found in the folder)' },
          filter: {
            type: 'object',
            properties: {
              emotions: { type: 'array', items: emotion },
              speakers: { type: 'array', items: { type: 'string' } },
              genders: { type: 'array', items: { type: 'string', enum: ['female', 'male'] } },
              max_clips: {
                type: 'number',
                integer: true,
                minimum: 1,
                maximum: 10_000_000,
                description: 'keep at most this many clips (deterministic, stratified)',
              },
            },
          },
          synthetic: {
            type: 'object',
            description: 'options of the built-in synthetic corpus',
            properties: {
              speakers_per_corpus: { type: 'number', integer: true, minimum: 2, maximum: 1000 },
              clips_per_emotion: { type: 'number', integer: true, minimum: 1, maximum: 1000 },
              conditions: { type: 'number', integer: true, minimum: 1, maximum: 2, description: 'recording conditions, each a corpus' },
              seed: { type: 'number', integer: true, minimum: 0, maximum: 2 ** 31 - 1 },
              bias: {
                type: 'object',
                required: ['snr_db'],
                description: 'record one group worse (known fairness answer)',
                properties: { corpus: { type: 'string' }, gender: { type: 'string', enum: ['female', 'male'] }, snr_db: { type: 'number' } },
              },
            },
          },
        },
      },
    },
    labels: {
      type: 'object',
      properties: {
        set: {
          type: 'array',
          items: emotion,
          minItems: 2,
          description: 'the classes; clips whose label is not in it (after map) are dropped',
          default: DEFAULT_LABELS.set,
        },
        map: { type: 'object', additionalProperties: emotion, description: 'relabel before filtering, e.g. calm: neutral', default: DEFAULT_LABELS.map },
      },
    },
    split: withDefaults(SPLIT_SCHEMA, DEFAULT_SPLIT),
    augment: AUGMENT_SCHEMA,
    features: {
      ...FEATURE_SCHEMA,
      // Each feature kind with settings of its own has its block here (features.embedding, …).
      properties: {
        ...FEATURE_SCHEMA.properties,
        ...Object.fromEntries(kindSpecs().flatMap(([, k]) => (k.settings ? [[k.settings.key, k.settings.schema]] : []))),
      },
    },
    models: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['type'],
        properties: {
          name: { type: 'string', description: 'unique name (default: the type)' },
          type: { type: 'string', enum: MODEL_TYPES, description: 'a model family of models/registry.ts, or module for a model of your own' },
          module: { type: 'string', description: 'type module: the file whose default export implements the Classifier contract (relative to the suite)' },
          features: { type: 'string', enum: FEATURE_KIND_NAMES, description: "the feature kind it reads (datasets/feature-kinds.ts); default: its family's" },
          params: {
            type: 'object',
            additionalProperties: { anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }, { type: 'array', items: { type: 'number' } }] },
          },
        },
      },
    },
    evaluation: {
      type: 'object',
      properties: {
        bootstrap: {
          type: 'number',
          integer: true,
          minimum: 0,
          maximum: 100000,
          description: 'bootstrap resamples for confidence intervals',
          default: DEFAULT_EVALUATION.bootstrap,
        },
        confidence: { type: 'number', minimum: 0.5, maximum: 0.999, default: DEFAULT_EVALUATION.confidence },
        ece_bins: { type: 'number', integer: true, minimum: 2, maximum: 1000, default: DEFAULT_EVALUATION.ece_bins },
        slices: { type: 'array', items: sliceField },
        intersections: { type: 'array', items: { type: 'array', items: sliceField, minItems: 2 } },
        min_slice: {
          type: 'number',
          integer: true,
          minimum: 1,
          description: 'groups with fewer clips are shown greyed and never enter a worst group, a gap or a headline',
          default: DEFAULT_EVALUATION.min_slice,
        },
        temperature_scaling: { type: 'boolean', default: DEFAULT_EVALUATION.temperature_scaling },
        rank_by: {
          type: 'string',
          enum: RANK_METRICS,
          description: 'the metric models are ranked by and tested on (paired bootstrap)',
          default: DEFAULT_EVALUATION.rank_by,
        },
        proportion_interval: {
          type: 'string',
          enum: PROPORTION_METHODS,
          description: 'interval of a proportion (accuracy, per-class recall): Wilson score or Clopper–Pearson exact',
          default: DEFAULT_EVALUATION.proportion_interval,
        },
      },
    },
    report: {
      type: 'object',
      properties: {
        title: { type: 'string' },
        spectrograms: { type: 'boolean', description: 'example spectrogram per emotion and corpus' },
      },
    },
  },
};

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
  [T in ModelType]: { name: string; type: T; features: FeatureKind; params: ParamsByType[T]; /** type module: the model's file (absolute). */ module?: string };
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
  };
  augment: { copies: number; ops: AugmentOp[] };
  /** The front end's settings and the feature kinds' blocks (features.embedding, …). */
  features: SuiteFeatures;
  models: ModelSpec[];
  evaluation: {
    bootstrap: number;
    confidence: number;
    ece_bins: number;
    slices: SliceField[];
    intersections: SliceField[][];
    min_slice: number;
    temperature_scaling: boolean;
    rank_by: RankMetric;
    proportion_interval: ProportionMethod;
  };
  report: { title: string; spectrograms: boolean };
  /** The YAML text as given (shown in the report's provenance page). */
  source: string;
  sourcePath: string;
}

const kindsOf = (layout: 'image' | 'vector') =>
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
  return null;
}

export function suiteJsonSchema(): Record<string, unknown> {
  const schema = toJsonSchema(SUITE_SCHEMA) as { properties: { models: { items: Record<string, unknown> } } };
  // Each family's params, with its defaults and default features, where the entry's type names it.
  schema.properties.models.items.allOf = MODEL_TYPES.map((t) => {
    const fam = MODEL_FAMILIES[t] as ModelFamily<object>;
    const params = withDefaults(fam.schema, fam.defaults);
    return {
      if: { properties: { type: { const: t } } },
      then: { properties: { features: { default: fam.defaultFeatures }, params: { ...toJsonSchema(params), description: fam.description } } },
    };
  });
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'serbench suite', ...schema };
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

export function parseSuite(text: string, file: string, options: ParseOptions = {}): Suite {
  const checkPaths = options.checkPaths ?? true;
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
  const problems: { line?: number; field: string; message: string }[] = [];
  const add = (path: Path, message: string) => problems.push({ line: lineOf(path), field: fieldName(path), message });
  for (const e of validate(raw, SUITE_SCHEMA)) add(e.path, e.message);
  const structural = problems.length;
  // Model params in the same pass: every problem of the file is reported at once.
  const rawModels = (raw as { models?: unknown })?.models;
  if (Array.isArray(rawModels))
    rawModels.forEach((m: any, i) => {
      if (m && typeof m === 'object' && MODEL_TYPES.includes(m.type) && (m.params === undefined || (typeof m.params === 'object' && m.params !== null)))
        for (const e of validate(m.params ?? {}, MODEL_FAMILIES[m.type as ModelType].schema, ['models', i, 'params'])) add(e.path, e.message);
    });
  // A malformed structure stops here; bad params alone do not stop the cross-field checks below.
  if (structural) throw new SuiteError(file, problems);

  const r = raw as Record<string, any>;
  const base = options.baseDir ?? dirname(resolve(file));
  /** ${VAR} and ${VAR:-default} in paths, so one suite serves every machine's data folder. */
  // A variable's value is what a user typed in their shell: a relative one is relative to where
  // they typed it (the working directory). A default written in the suite is relative to the suite.
  const expand = (path: string, at: Path) =>
    path.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, def: string | undefined, offset: number) => {
      const fromEnv = process.env[name];
      if (fromEnv !== undefined) return offset === 0 && !isAbsolute(fromEnv) ? resolve(process.cwd(), fromEnv) : fromEnv;
      if (def === undefined) add(at, `environment variable ${name} is not set and has no default (\${${name}:-default})`);
      return def ?? '';
    });
  // Cross-field checks: paths exist, model params fit the family, features fit the model.
  const datasets: DatasetSpec[] = (r.datasets as any[]).map((d, i) => {
    const spec: DatasetSpec = { ...d };
    if (d.corpus === 'synthetic') {
      if (d.path) add(['datasets', i, 'path'], 'the synthetic corpus is generated; it takes no path');
    } else {
      if (!d.path) add(['datasets', i, 'path'], `is required for corpus ${d.corpus}`);
      else {
        spec.path = resolve(base, expand(d.path, ['datasets', i, 'path']));
        if (d.corpus === 'manifest') {
          if (checkPaths && (!existsSync(spec.path) || !statSync(spec.path).isFile()))
            add(['datasets', i, 'path'], `manifest file ${spec.path} does not exist`);
        } else if (checkPaths && (!existsSync(spec.path) || !statSync(spec.path).isDirectory()))
          add(['datasets', i, 'path'], `folder ${spec.path} does not exist`);
      }
      if (d.synthetic) add(['datasets', i, 'synthetic'], 'only for corpus: synthetic');
      if (d.name !== undefined && d.corpus !== 'manifest') add(['datasets', i, 'name'], 'only for corpus: manifest');
    }
    if (d.demographics) {
      spec.demographics = resolve(base, expand(d.demographics, ['datasets', i, 'demographics']));
      if (d.corpus !== 'crema-d') add(['datasets', i, 'demographics'], 'only for corpus: crema-d');
      else if (checkPaths && !existsSync(spec.demographics)) add(['datasets', i, 'demographics'], `file ${spec.demographics} does not exist`);
    }
    return spec;
  });
  const names = new Set<string>();
  const models = (r.models as any[]).map((m, i): ModelSpec => {
    const type = m.type as ModelType;
    const name = m.name ?? type;
    const bad = badName(name);
    if (bad) add(['models', i, 'name'], bad);
    if (names.has(name)) add(['models', i, 'name'], `duplicate model name "${name}" (give each a name)`);
    names.add(name);
    const fam = MODEL_FAMILIES[type] as ModelFamily<Record<string, unknown>>;
    const features: FeatureKind = m.features ?? fam.defaultFeatures;
    const kind = FEATURE_KINDS[features] as FeatureKindSpec<SuiteFeatures>;
    if (fam.reads !== 'any' && kind.layout !== fam.reads)
      add(['models', i, 'features'], `${type} reads ${fam.reads} features (${kindsOf(fam.reads)}), not ${features} (${kind.layout})`);
    if (kind.settings && r.features?.[kind.settings.key] === undefined)
      add(['models', i, 'features'], `${features} needs its settings: features.${kind.settings.key} (see serbench schema)`);
    const params = { ...fam.defaults, ...(m.params ?? {}) };
    for (const c of fam.check?.(params) ?? []) add(['models', i, 'params', c.param], c.message);
    let module: string | undefined;
    if (type === 'module') {
      if (typeof m.module !== 'string') add(['models', i, 'module'], 'type module needs module: the file of your model');
      else {
        module = resolve(base, expand(m.module, ['models', i, 'module']));
        if (checkPaths && !existsSync(module)) add(['models', i, 'module'], `${module} does not exist`);
      }
    } else if (m.module !== undefined) add(['models', i, 'module'], 'only for type: module');
    return { name, type, features, params, ...(module ? { module } : {}) } as ModelSpec;
  });
  const split: Suite['split'] = { ...DEFAULT_SPLIT, ...(r.split ?? {}) };
  // Predefined folds (EmoBox-style committed folds, or another run's folds/): the files are listed now.
  if (split.protocol === 'predefined') {
    const where = typeof r.split?.folds === 'string' ? resolve(base, expand(r.split.folds, ['split', 'folds'])) : undefined;
    if (!where) add(['split', 'folds'], 'protocol predefined needs folds: a folder of fold files or one fold file');
    else if (!existsSync(where)) {
      if (checkPaths) add(['split', 'folds'], `${where} does not exist`);
    } else {
      split.fold_files = statSync(where).isDirectory()
        ? readdirSync(where)
            .filter((f) => f.endsWith('.json'))
            .sort()
            .map((f) => join(where, f))
        : [where];
      if (split.fold_files.length === 0) add(['split', 'folds'], `${where} holds no .json fold files`);
    }
    split.folds = 0;
  } else if (typeof split.folds !== 'number') add(['split', 'folds'], `a folder of fold files is only for protocol predefined`);
  if (split.test_fraction + split.val_fraction >= 0.95) add(['split'], 'test_fraction + val_fraction leaves no training data');
  const features: SuiteFeatures = withKindDefaults({ ...DEFAULT_FEATURES, ...(r.features ?? {}) });
  // A kind's file paths (an encoder, embedding files) are relative to the suite, like datasets'.
  for (const [, k] of kindSpecs()) {
    const block = k.settings && (features as unknown as Record<string, Record<string, unknown> | undefined>)[k.settings.key];
    if (!k.settings || !block) continue;
    const resolved = { ...block };
    for (const field of k.settings.paths) {
      if (typeof block[field] !== 'string') continue;
      const at = ['features', k.settings.key, field];
      resolved[field] = resolve(base, expand(block[field] as string, at));
      if (checkPaths && !existsSync(resolved[field] as string)) add(at, `${resolved[field]} does not exist`);
    }
    (features as unknown as Record<string, unknown>)[k.settings.key] = resolved;
  }
  if ((features.n_fft & (features.n_fft - 1)) !== 0) add(['features', 'n_fft'], `must be a power of two, got ${features.n_fft}`);
  for (const [i, op] of ((r.augment?.ops ?? []) as AugmentOp[]).entries()) {
    const key = AUGMENT_NEEDS[op.type];
    if (key && op[key] === undefined) add(['augment', 'ops', i], `${op.type} needs ${key}`);
  }
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
