/**
 * The model families: one entry each, holding the family's params schema, defaults, the
 * features it reads, cross-field checks, and lazy loaders of its implementation (so validating a
 * suite loads no tensor library). Adding a family is one file (the Classifier) plus one entry
 * here; the suite format, the CLI's checks and the job runner read this table and nothing else.
 * A user's own model needs no entry: `type: module` loads a module implementing the contract.
 */
import type { ObjectSchema } from '../core/schema.ts';
import type { Classifier, SerializedModel } from './classifier.ts';
import {
  int,
  num,
  training,
  type CnnParams,
  type VitParams,
  type MlpParams,
  type SvmParams,
  type TreeParams,
  type ModuleParams,
  type PredictionsParams,
  type OnnxParams,
  type EnsembleParams,
  type TrainingParams,
} from './params.ts';
import type { FeatureKind } from '../datasets/features/registry.ts';
// Light modules (no tensor library): what validate checks of the files a suite names.
import { checkOutputsFile } from './predictions.ts';
import { mapClasses } from './external-outputs.ts';

export interface ModelFamily<P> {
  description: string;
  schema: ObjectSchema;
  defaults: P;
  /** The layout of features it reads (datasets/features/registry.ts): images, vectors, either, or none (it brings its own outputs). */
  reads: 'image' | 'vector' | 'any' | 'none';
  /** Its feature kind when a suite names none. */
  defaultFeatures: FeatureKind;
  /** Checks across params, as (param, problem). */
  check?: (p: P) => { param: string; message: string }[];
  /** Params for a fit of seconds on a few hundred clips: every family is held to the shared contract test with them (tests/models.test.ts). */
  smoke: Partial<P>;
  /**
   * Seconds a fit is expected to take on one core of the machine the README's bench figures come
   * from, for `n` training samples of `size` values each: what the run's ETA and `validate`'s
   * estimate are made of (the ETA corrects it by the rate the run then measures).
   */
  cost: (p: P, n: number, size: number) => number;
  /** Params that are files: resolved against the suite's folder (with ${VAR:-default}) and checked to exist. */
  paths?: string[];
  /** Read the files the params name as a job would, against the suite's classes; throws what a job would refuse (for `validate`). */
  checkFiles?: (p: P, classes: string[]) => void;
  /** It trains nothing: its fit reads what it brings (imported outputs, a pretrained model). */
  pretrained?: boolean;
  /** It is no job: it is formed from other models' jobs when the run is evaluated (an ensemble). */
  virtual?: boolean;
  create: (k: number, params: P, module?: string) => Promise<Classifier>;
  load: (j: SerializedModel) => Promise<Classifier>;
}

const family = <P>(f: ModelFamily<P>) => f;
const sumOfSquares = (xs: number[]) => xs.reduce((a, x) => a + x * x, 0);

/** The networks' training defaults (each family may change some): what models/neural.ts does unless told otherwise. */
const trainingDefaults: TrainingParams = {
  dropout: 0.3,
  epochs: 30,
  batch_size: 32,
  learning_rate: 0.001,
  patience: 5,
  class_weights: true,
  monitor: 'loss',
  lr_schedule: 'constant',
  weight_decay: 0,
};

export const MODEL_FAMILIES = {
  cnn: family<CnnParams>({
    description: 'convolutional network on log-mel images: [conv → batch norm → relu → max-pool] blocks, time pooling, dense',
    schema: {
      type: 'object',
      properties: {
        filters: {
          type: 'array',
          items: int(1, 'filters', 4096),
          minItems: 1,
          maxItems: 5,
          description: 'filters of each conv block (conv → batch norm → relu → max-pool)',
        },
        kernel: int(1, 'convolution kernel size', 7),
        dense: int(1, 'units of the dense layer before the output', 65536),
        bn_momentum: num(0, "batch norm's moving-average momentum (Keras: old-value weight per step; PyTorch's 0.1 is 0.9 here)", 0.9999),
        ...training,
      },
    },
    // The recipe of #13 (README, Models): 50 epochs with cosine decay and patience 10, chosen on
    // ravdess-dev's validation actors (best validation loss 1.465 against 1.546 for 30 cosine
    // epochs and 1.54 for 30 constant ones, whose best epochs hit the cap).
    defaults: { filters: [16, 32, 64], kernel: 3, dense: 64, bn_momentum: 0.9, ...trainingDefaults, epochs: 50, patience: 10, lr_schedule: 'cosine' },
    reads: 'image',
    defaultFeatures: 'logmel',
    smoke: { filters: [8, 16], dense: 32, epochs: 20, patience: 20, learning_rate: 0.003 },
    // The default CNN trains ~65 samples/s of 64×188 log-mel on one core (npm run bench -- cnn); work grows with the filters' squares.
    cost: (p, n, size) => (p.epochs * n * (size / 12032) * (sumOfSquares(p.filters) / sumOfSquares([16, 32, 64]))) / 65,
    create: async (k, p) => new (await import('./cnn.ts')).Cnn(k, p),
    load: async (j) => (await import('./cnn.ts')).Cnn.fromJSON(j),
  }),
  vit: family<VitParams>({
    description: 'Vision Transformer on spectrogram patches',
    schema: {
      type: 'object',
      properties: {
        stem: {
          type: 'string',
          enum: ['patch', 'conv', 'cnn'],
          description:
            "tokens from non-overlapping patches ('patch'), or from a convolutional stem of log2(patch) stride-2 convolutions ('conv') or of the CNN's conv → max-pool blocks ('cnn')",
        },
        pool: { type: 'string', enum: ['class', 'mean'], description: "what the head reads: a class token ('class') or the mean of the tokens ('mean')" },
        patch: int(2, 'square patch size in log-mel bins and frames', 256),
        dim: int(4, 'embedding width', 4096),
        depth: int(1, 'transformer blocks', 64),
        heads: int(1, 'attention heads (must divide dim)', 64),
        mlp_dim: int(4, 'hidden units of each block MLP', 16384),
        ...training,
      },
    },
    // The recipe of #13: AdamW (learning rate 3e-4, weight decay 0.05) with cosine decay and
    // patience 10, as ViTs are trained; at Adam's 1e-3 without decay the validation loss rose
    // from epoch 5 (best 1.82 against 1.75 on ravdess-dev's validation actors). Tokens from the
    // CNN's blocks, read by their mean: best validation loss 1.51 against 1.66 for the stride-2
    // stem and 1.75 for plain patches (README, Models).
    defaults: {
      stem: 'cnn',
      pool: 'mean',
      patch: 8,
      dim: 64,
      depth: 2,
      heads: 4,
      mlp_dim: 128,
      ...trainingDefaults,
      dropout: 0.1,
      learning_rate: 0.0003,
      weight_decay: 0.05,
      lr_schedule: 'cosine',
      patience: 10,
    },
    reads: 'image',
    defaultFeatures: 'logmel',
    smoke: { patch: 8, dim: 32, depth: 1, heads: 2, mlp_dim: 64, epochs: 12, patience: 12, learning_rate: 0.002 },
    // The default (hybrid) ViT trains ~33 samples/s of 64×188 log-mel on one core.
    cost: (p, n, size) => (p.epochs * n * (size / 12032)) / 33,
    check: (p) => [
      ...(p.dim % p.heads !== 0 ? [{ param: 'heads', message: `heads (${p.heads}) must divide dim (${p.dim})` }] : []),
      ...((p.stem === 'conv' || p.stem === 'cnn') && !Number.isInteger(Math.log2(p.patch))
        ? [{ param: 'patch', message: `a conv stem halves the input log2(patch) times: patch (${p.patch}) must be a power of 2` }]
        : []),
    ],
    create: async (k, p) => new (await import('./vit.ts')).VisionTransformer(k, p),
    load: async (j) => (await import('./vit.ts')).VisionTransformer.fromJSON(j),
  }),
  mlp: family<MlpParams>({
    description: 'multilayer perceptron on a feature vector (embeddings, summary): dense → relu → dropout layers, trained as the CNN',
    schema: {
      type: 'object',
      properties: {
        hidden: { type: 'array', items: int(1, 'units', 65536), minItems: 0, maxItems: 8, description: 'units of each hidden layer' },
        ...training,
      },
    },
    defaults: { hidden: [256], ...trainingDefaults, epochs: 100, patience: 10 },
    reads: 'vector',
    defaultFeatures: 'summary',
    smoke: { hidden: [64], epochs: 60, patience: 60 },
    cost: (p, n, size) => (p.epochs * n * size * Math.max(1, p.hidden[0] ?? 1)) / 8e8,
    create: async (k, p) => new (await import('./mlp.ts')).Mlp(k, p),
    load: async (j) => (await import('./mlp.ts')).Mlp.fromJSON(j),
  }),
  svm: family<SvmParams>({
    description: 'support vector machine (libsvm) with Platt probabilities',
    schema: {
      type: 'object',
      properties: {
        kernel: { type: 'string', enum: ['rbf', 'linear'], description: 'RBF (Gaussian) or linear kernel' },
        C: num(0, 'soft-margin cost', 1e6),
        gamma: { anyOf: [num(0, 'RBF width', 1e6), { type: 'string', enum: ['scale'] }], description: "RBF gamma, or 'scale' = 1/(d·var) as scikit-learn" },
        grid: { type: 'boolean', description: 'pick C and gamma on the validation split from a small grid' },
        class_weights: { type: 'boolean', description: 'balanced class weights (libsvm -wi)' },
      },
    },
    defaults: { kernel: 'rbf', C: 10, gamma: 'scale', grid: false, class_weights: false },
    reads: 'vector',
    defaultFeatures: 'summary',
    smoke: {},
    // libsvm's port: 3.7 s for 3,775 × 150 with probabilities (npm run bench -- svm); about n² · d; a grid tries nine.
    cost: (p, n, size) => ((n / 1000) ** 2 * 0.26 * (size / 150) + 0.05) * (p.grid ? 9 : 1),
    create: async (k, p) => new (await import('./svm.ts')).SupportVectorMachine(k, p),
    load: async (j) => (await import('./svm.ts')).SupportVectorMachine.fromJSON(j),
  }),
  tree: family<TreeParams>({
    description: 'CART decision tree (scikit-learn equivalent)',
    schema: {
      type: 'object',
      properties: {
        criterion: { type: 'string', enum: ['gini', 'entropy'], description: 'split quality: Gini impurity or entropy' },
        max_depth: int(1, 'maximum depth', 1000),
        min_samples_leaf: int(1, 'minimum samples in a leaf', 1e6),
        min_samples_split: int(2, 'minimum samples to split a node', 1e6),
        class_weights: { type: 'boolean', description: 'balanced class weights' },
      },
    },
    defaults: { criterion: 'gini', max_depth: 12, min_samples_leaf: 2, min_samples_split: 4, class_weights: false },
    reads: 'vector',
    defaultFeatures: 'summary',
    smoke: { max_depth: 6 },
    cost: (_p, n, size) => (n * size) / 4e6 + 0.02,
    create: async (k, p) => new (await import('./tree.ts')).DecisionTree(k, p),
    load: async (j) => (await import('./tree.ts')).DecisionTree.fromJSON(j),
  }),
  predictions: family<PredictionsParams>({
    description:
      'a model trained elsewhere, brought in as its per-clip outputs: a CSV or JSONL with a clip column (clip id, path relative to the corpus folder, or file stem), p_<class> or logit_<class> columns, and optional seed, model_seed, fold, split (test/val) and model columns',
    schema: {
      type: 'object',
      required: ['path'],
      properties: {
        path: { type: 'string', description: 'the outputs file, relative to the suite' },
        model: { type: 'string', description: "only the rows whose model column says this (a serbench run's predictions.csv holds every model's)" },
        renormalize: { type: 'boolean', description: 'divide rows that do not sum to 1 by their sum instead of refusing them' },
        drop_columns: { type: 'boolean', description: 'leave out columns of classes the suite lacks (rows renormalized) instead of refusing' },
      },
    },
    defaults: { path: '', renormalize: false, drop_columns: false },
    reads: 'none',
    defaultFeatures: 'none',
    smoke: {},
    paths: ['path'],
    pretrained: true,
    checkFiles: checkOutputsFile,
    cost: () => 0.05,
    create: async (k, p) => new (await import('./predictions.ts')).ImportedPredictions(k, p),
    load: async (j) => (await import('./predictions.ts')).ImportedPredictions.fromJSON(j),
  }),
  onnx: family<OnnxParams>({
    description:
      'a pretrained classifier (an ONNX export) evaluated without training: waveform or any feature kind in, logits or probabilities over its labels out',
    schema: {
      type: 'object',
      required: ['model', 'labels'],
      properties: {
        model: { type: 'string', description: 'the classifier .onnx file, relative to the suite' },
        labels: { type: 'array', items: { type: 'string' }, minItems: 2, description: 'its output classes, in the order of its output columns' },
        input: { type: 'string', description: "its input's name (default: the first)" },
        output: { type: 'string', description: "its output's name (default: the first)" },
        outputs: { type: 'string', enum: ['logits', 'probabilities'], description: 'what its output holds' },
        normalize: { type: 'boolean', description: "zero mean, unit variance per clip before the model (a waveform model's do_normalize)" },
        drop_labels: { type: 'boolean', description: 'leave out labels the suite has no class for (rows renormalized) instead of refusing' },
        absent_classes: { type: 'string', enum: ['refuse', 'zero'], description: 'suite classes the model has no label for: refused, or probability 0' },
      },
    },
    defaults: { model: '', labels: [], outputs: 'logits', normalize: false, drop_labels: false, absent_classes: 'refuse' },
    reads: 'any',
    defaultFeatures: 'waveform',
    smoke: {},
    paths: ['model'],
    pretrained: true,
    // Its labels against the suite's classes (the model itself is read when the job runs).
    checkFiles: (p, classes) =>
      void mapClasses(p.labels, classes, { dropLabels: p.drop_labels, absentAsZero: p.absent_classes === 'zero', where: p.model, what: 'labels' }),
    cost: (_p, n) => n / 200,
    create: async (k, p) => new (await import('./onnx-classifier.ts')).OnnxClassifier(k, p),
    load: async (j) => (await import('./onnx-classifier.ts')).OnnxClassifier.fromJSON(j),
  }),
  ensemble: family<EnsembleParams>({
    description:
      "late fusion: the mean of other models' probabilities in the suite (or weights chosen on each fold's validation clips), formed when the run is evaluated, with its own intervals, tests and pages",
    schema: {
      type: 'object',
      required: ['members'],
      properties: {
        members: { type: 'array', items: { type: 'string' }, minItems: 2, description: 'names of the models of the suite to combine' },
        weights: {
          type: 'string',
          enum: ['equal', 'validation'],
          description: "equal weights, or those with the lowest log loss on each fold's validation clips",
        },
      },
    },
    defaults: { members: [], weights: 'equal' },
    reads: 'none',
    defaultFeatures: 'none',
    smoke: {},
    pretrained: true,
    virtual: true,
    cost: () => 0,
    create: async () => {
      throw new Error('an ensemble trains nothing and is not a job: it is formed from its members when the run is evaluated');
    },
    load: async () => {
      throw new Error('an ensemble is not saved as a model: apply each of its members (serbench predict --model <member>)');
    },
  }),
  module: family<ModuleParams>({
    description:
      'a model of your own: `module:` names a file whose default export is a class implementing the Classifier contract, constructed as new Model(k, params)',
    schema: {
      type: 'object',
      additionalProperties: {
        anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }, { type: 'array', items: { anyOf: [{ type: 'number' }, { type: 'string' }] } }],
      },
    },
    defaults: {},
    reads: 'any',
    defaultFeatures: 'summary',
    smoke: {},
    cost: (_p, n, size) => (n * size) / 1e7 + 0.1, // unknown: as cheap as a centroid
    create: async (k, p, module) => (await import('./user-module.ts')).createUserModel(module!, k, p),
    load: async (j) => (await import('./user-module.ts')).loadUserModel(j),
  }),
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own params type
} satisfies Record<string, ModelFamily<any>>;

export type ModelType = keyof typeof MODEL_FAMILIES;
export const MODEL_TYPES = Object.keys(MODEL_FAMILIES) as ModelType[];
export type ParamsByType = { [T in ModelType]: (typeof MODEL_FAMILIES)[T]['defaults'] };
/** Views of the table, for readers that want one column of it. */
export const DEFAULT_PARAMS = Object.fromEntries(MODEL_TYPES.map((t) => [t, MODEL_FAMILIES[t].defaults])) as ParamsByType;

/** A fit's expected seconds on one core (the family's cost model). */
export function fitCost(spec: { type: ModelType; params: unknown }, n: number, size: number): number {
  return (MODEL_FAMILIES[spec.type] as ModelFamily<unknown>).cost(spec.params, n, size);
}

export async function createClassifier(spec: { type: ModelType; params: unknown; module?: string }, k: number): Promise<Classifier> {
  const f = MODEL_FAMILIES[spec.type] as ModelFamily<unknown> | undefined;
  if (!f) throw new Error(`unknown model type "${spec.type}" (one of ${MODEL_TYPES.join(', ')})`);
  return f.create(k, spec.params, spec.module);
}

export async function loadClassifier(j: SerializedModel): Promise<Classifier> {
  // A model of one's own names its file, whatever family name it gives itself.
  if (typeof j.module === 'string') return MODEL_FAMILIES.module.load(j);
  const f = MODEL_FAMILIES[j.family as ModelType] as ModelFamily<unknown> | undefined;
  if (f) return f.load(j);
  throw new Error(`unknown model family "${j.family}"`);
}
