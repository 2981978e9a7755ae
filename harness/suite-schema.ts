/**
 * The suite format's schema and defaults, stated once: the loader (harness/suite.ts) validates
 * against them and fills them, `serbench schema` prints them for editors.
 */
import { toJsonSchema, withDefaults, type Schema, type ObjectSchema } from '../core/schema.ts';
import { AUGMENT_SCHEMA, FEATURE_SCHEMA } from '../datasets/features/settings.ts';
import { EMOTIONS, type Emotion } from '../datasets/types.ts';
import { FILE_CORPORA } from '../datasets/corpora/load.ts';
import { FEATURE_KINDS, FEATURE_KIND_NAMES, type FeatureKind, type SuiteFeatures } from '../datasets/features/registry.ts';
import type { FeatureKindSpec } from '../datasets/features/kind.ts';
import { MODEL_FAMILIES, MODEL_TYPES, type ModelFamily } from '../models/registry.ts';
import { PROPORTION_METHODS } from './stats/intervals.ts';
import { SLICE_FIELDS } from './stats/slices.ts';
import { rankMetrics } from './stats/metric-table.ts';
import type { EvaluationSettings } from './stats/evaluate.ts';

export const CORPORA = [...FILE_CORPORA, 'synthetic', 'manifest'] as const;
export const PROTOCOLS = ['stratified', 'speaker-independent', 'group-kfold', 'leave-one-corpus-out', 'leave-one-speaker-out', 'predefined'] as const;
const sliceField: Schema = {
  anyOf: [
    { type: 'string', enum: SLICE_FIELDS },
    { type: 'string', description: 'an attribute column of a manifest corpus (language, condition, …)' },
  ],
};
const emotion: Schema = { type: 'string', enum: EMOTIONS };
export const kindSpecs = () => Object.entries(FEATURE_KINDS) as [FeatureKind, FeatureKindSpec<SuiteFeatures>][];
/** The evaluation settings' defaults, stated once: the loader fills them, the schema shows them. */
export const DEFAULT_EVALUATION: EvaluationSettings = {
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
export const DEFAULT_LABELS: { set: Emotion[]; map: Partial<Record<Emotion, Emotion>> } = {
  set: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'],
  map: { calm: 'neutral' },
};

const SPLIT_SCHEMA: ObjectSchema = {
  type: 'object',
  properties: {
    protocol: {
      type: 'string',
      enum: PROTOCOLS,
      description:
        'how clips become training, validation and test sets: stratified by class (speakers may be shared), speaker-independent (no speaker in two sets), group-kfold (k folds over speakers), leave-one-corpus-out, leave-one-speaker-out, or predefined (fold files)',
    },
    test_fraction: { type: 'number', minimum: 0.01, maximum: 0.9, description: 'share of clips (speaker-independent: of speakers) held out for testing' },
    val_fraction: {
      type: 'number',
      minimum: 0,
      maximum: 0.9,
      description: 'share of the training pool kept for validation: early stopping, the SVM grid, ensemble weights, temperature scaling',
    },
    folds: {
      anyOf: [
        { type: 'number', integer: true, minimum: 2, maximum: 100 },
        { type: 'string', description: 'predefined: a folder of fold files (as a run writes in folds/) or one fold file' },
      ],
      description: 'group-kfold: number of folds; predefined: where the fold files are',
    },
    max_folds: { type: 'number', integer: true, minimum: 1, maximum: 10000, description: 'leave-one-*-out and predefined: run only the first N folds' },
    missing: {
      type: 'string',
      enum: ['refuse', 'drop'],
      description: 'predefined: a clip a fold file names and the data lacks stops the run (refuse), or is left out and counted in the report (drop)',
    },
  },
};

const DATASET_SCHEMA: Schema = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['corpus'],
    properties: {
      corpus: {
        type: 'string',
        enum: CORPORA,
        description: 'a corpus people download (its file names are parsed), the built-in synthetic corpus, or manifest (a CSV or JSONL of your own)',
      },
      path: {
        type: 'string',
        description: 'corpus folder (manifest: the CSV or JSONL file), relative to the suite file (not for synthetic); ${VAR:-default} is expanded',
      },
      name: { type: 'string', description: 'manifest: the corpus name its clips carry (default: the file name)' },
      demographics: { type: 'string', description: 'CREMA-D VideoDemographics.csv (default: found in the folder)' },
      filter: {
        type: 'object',
        description: 'keep only some of the corpus',
        properties: {
          emotions: { type: 'array', items: emotion, description: 'only these emotions (harmonized names)' },
          speakers: { type: 'array', items: { type: 'string' }, description: 'only these speakers (their ids as the loader names them, e.g. ravdess-01)' },
          genders: { type: 'array', items: { type: 'string', enum: ['female', 'male'] }, description: 'only these genders' },
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
          speakers_per_corpus: { type: 'number', integer: true, minimum: 2, maximum: 1000, description: 'speakers in each recording condition' },
          clips_per_emotion: { type: 'number', integer: true, minimum: 1, maximum: 1000, description: 'clips per speaker and emotion' },
          conditions: { type: 'number', integer: true, minimum: 1, maximum: 2, description: 'recording conditions, each a corpus' },
          seed: { type: 'number', integer: true, minimum: 0, maximum: 2 ** 31 - 1, description: 'generator seed: the same seed gives the same corpus' },
          bias: {
            type: 'object',
            required: ['snr_db'],
            description: 'record one group worse (known fairness answer)',
            properties: {
              corpus: { type: 'string', description: 'the recording condition (synth-studio or synth-phone) recorded worse; default: both' },
              gender: { type: 'string', enum: ['female', 'male'], description: 'the gender recorded worse; default: both' },
              snr_db: { type: 'number', description: 'signal-to-noise ratio of the worse recordings, in dB' },
            },
          },
        },
      },
    },
  },
};

const LABELS_SCHEMA: Schema = {
  type: 'object',
  description: "the classes, and how each corpus's labels become them",
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
};

const MODELS_SCHEMA: Schema = {
  type: 'array',
  minItems: 1,
  description: 'the models to train (or import, or combine) and compare',
  items: {
    type: 'object',
    required: ['type'],
    properties: {
      name: { type: 'string', description: 'unique name (default: the type)' },
      type: { type: 'string', enum: MODEL_TYPES, description: 'a model family of models/registry.ts, or module for a model of your own' },
      module: { type: 'string', description: 'type module: the file whose default export implements the Classifier contract (relative to the suite)' },
      normalize: {
        type: 'string',
        enum: ['none', 'per_speaker', 'per_utterance'],
        description:
          "its features z-scored per speaker (each speaker's own clips, the test speakers' unlabeled audio included: the standard step of speaker-independent SER) or per utterance (an image over its frames)",
      },
      features: {
        type: 'string',
        enum: FEATURE_KIND_NAMES,
        description: "the feature kind it reads (datasets/features/registry.ts); default: its family's",
      },
      params: {
        type: 'object',
        description: "the family's parameters (each family's schema below, in allOf, says which)",
        additionalProperties: {
          anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }, { type: 'array', items: { anyOf: [{ type: 'number' }, { type: 'string' }] } }],
        },
      },
    },
  },
};

/** The evaluation block (built when asked: rank_by takes the metric table's ranking metrics, registrations included). */
const evaluationSchema = (): Schema => ({
  type: 'object',
  description: 'how results are computed: intervals, calibration, fairness slices, ranking',
  properties: {
    bootstrap: {
      type: 'number',
      integer: true,
      minimum: 0,
      maximum: 100000,
      description: 'bootstrap resamples for confidence intervals',
      default: DEFAULT_EVALUATION.bootstrap,
    },
    confidence: { type: 'number', minimum: 0.5, maximum: 0.999, default: DEFAULT_EVALUATION.confidence, description: 'level of every interval' },
    ece_bins: {
      type: 'number',
      integer: true,
      minimum: 2,
      maximum: 1000,
      default: DEFAULT_EVALUATION.ece_bins,
      description: 'equal-width confidence bins of ECE and the reliability diagrams',
    },
    slices: { type: 'array', items: sliceField, description: 'clip fields to report fairness over: per-group metrics with intervals, the largest gap' },
    intersections: {
      type: 'array',
      items: { type: 'array', items: sliceField, minItems: 2, description: 'fields crossed, e.g. [corpus, gender]' },
      description: 'slices over combinations of fields',
    },
    min_slice: {
      type: 'number',
      integer: true,
      minimum: 1,
      description: 'groups with fewer clips are shown greyed and never enter a worst group, a gap or a headline',
      default: DEFAULT_EVALUATION.min_slice,
    },
    temperature_scaling: {
      type: 'boolean',
      default: DEFAULT_EVALUATION.temperature_scaling,
      description: "fit a temperature on each job's validation clips and report calibration before and after it",
    },
    rank_by: {
      type: 'string',
      enum: rankMetrics(),
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
});

const REPORT_SCHEMA: Schema = {
  type: 'object',
  description: 'the report site',
  properties: {
    title: { type: 'string', description: 'title of the report site (default: the suite name)' },
    spectrograms: { type: 'boolean', description: 'example spectrogram per emotion and corpus' },
  },
};

/** The suite format's schema (built when asked, for the evaluation block's sake). */
export const suiteSchema = (): ObjectSchema => ({
  type: 'object',
  required: ['name', 'datasets', 'models'],
  properties: {
    name: { type: 'string', description: 'suite name, shown in the report' },
    description: { type: 'string', description: 'a sentence on the suite, shown on the overview' },
    seeds: {
      type: 'array',
      items: { type: 'number', integer: true, minimum: 0, maximum: 2 ** 31 - 1 },
      minItems: 1,
      maxItems: 100,
      uniqueItems: true,
      description: 'split seeds: one split (and augmentation draw) per seed',
      default: [0],
    },
    model_seeds: {
      type: 'array',
      items: { type: 'number', integer: true, minimum: 0, maximum: 2 ** 31 - 1 },
      minItems: 1,
      maxItems: 100,
      uniqueItems: true,
      description: 'model seeds: every job runs once per (split seed, model seed); default: the split seed',
    },
    datasets: { ...DATASET_SCHEMA, description: 'the corpora, pooled: folders people download, the synthetic corpus, or manifests' },
    labels: LABELS_SCHEMA,
    split: { ...withDefaults(SPLIT_SCHEMA, DEFAULT_SPLIT), description: 'the split protocol: who is trained on, validated on and tested on' },
    augment: AUGMENT_SCHEMA,
    features: {
      ...FEATURE_SCHEMA,
      // Each feature kind with settings of its own has its block here (features.embedding, …).
      properties: {
        ...FEATURE_SCHEMA.properties,
        ...Object.fromEntries(kindSpecs().flatMap(([, k]) => (k.settings ? [[k.settings.key, k.settings.schema]] : []))),
      },
    },
    models: MODELS_SCHEMA,
    evaluation: evaluationSchema(),
    report: REPORT_SCHEMA,
  },
});

/** The schema's identity; suites/suite.schema.json is this schema, for editors (yaml-language-server). */
export const SUITE_SCHEMA_ID = 'urn:serbench:suite-schema';

export function suiteJsonSchema(): Record<string, unknown> {
  const schema = toJsonSchema(suiteSchema()) as { properties: { models: { items: Record<string, unknown> } } };
  // Each family's params, with its defaults and default features, where the entry's type names it.
  schema.properties.models.items.allOf = MODEL_TYPES.map((t) => {
    const fam = MODEL_FAMILIES[t] as ModelFamily<object>;
    const params = withDefaults(fam.schema, fam.defaults);
    return {
      if: { properties: { type: { const: t } } },
      then: {
        properties: {
          features: { default: fam.defaultFeatures, description: `the feature kind it reads; a ${t} reads ${fam.defaultFeatures} unless told` },
          params: { ...toJsonSchema(params), description: fam.description },
        },
      },
    };
  });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SUITE_SCHEMA_ID,
    title: 'serbench suite',
    ...schema,
    description: 'A serbench suite: corpora, split protocol, augmentations, features, models and evaluation (README, "Writing a suite").',
  };
}
