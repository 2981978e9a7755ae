/**
 * Hyper-parameters of each model family, with defaults and the schema the suite validator
 * checks them against. Kept apart from the model code so that validating a suite loads no
 * tensor library.
 */
import type { Schema } from '../harness/schema.ts';

export const MODEL_TYPES = ['cnn', 'vit', 'svm', 'tree'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

const int = (minimum: number, description: string, maximum?: number): Schema => ({ type: 'number', integer: true, minimum, maximum, description });
const num = (minimum: number, description: string, maximum?: number): Schema => ({ type: 'number', minimum, maximum, description });

/** What the two networks' training loop reads (models/neural.ts). */
export interface TrainingParams {
  dropout: number;
  epochs: number;
  batch_size: number;
  learning_rate: number;
  patience: number;
  class_weights: boolean;
}
export interface CnnParams extends TrainingParams {
  filters: number[];
  kernel: number;
  dense: number;
}
export interface VitParams extends TrainingParams {
  patch: number;
  dim: number;
  depth: number;
  heads: number;
  mlp_dim: number;
}
export interface SvmParams {
  kernel: 'rbf' | 'linear';
  C: number;
  gamma: number | 'scale';
  grid: boolean;
  class_weights: boolean;
}
export interface TreeParams {
  criterion: 'gini' | 'entropy';
  max_depth: number;
  min_samples_leaf: number;
  min_samples_split: number;
  class_weights: boolean;
}

export interface ParamsByType {
  cnn: CnnParams;
  vit: VitParams;
  svm: SvmParams;
  tree: TreeParams;
}

export const DEFAULT_PARAMS: ParamsByType = {
  cnn: { filters: [16, 32, 64], kernel: 3, dense: 64, dropout: 0.3, epochs: 30, batch_size: 32, learning_rate: 0.001, patience: 5, class_weights: true },
  vit: {
    patch: 8,
    dim: 64,
    depth: 2,
    heads: 4,
    mlp_dim: 128,
    dropout: 0.1,
    epochs: 30,
    batch_size: 32,
    learning_rate: 0.001,
    patience: 5,
    class_weights: true,
  },
  svm: { kernel: 'rbf', C: 10, gamma: 'scale', grid: false, class_weights: false },
  tree: { criterion: 'gini', max_depth: 12, min_samples_leaf: 2, min_samples_split: 4, class_weights: false },
};

const training = {
  dropout: num(0, 'dropout rate', 0.9),
  epochs: int(1, 'maximum training epochs', 10000),
  batch_size: int(1, 'mini-batch size', 65536),
  learning_rate: num(0, 'Adam learning rate'),
  patience: int(1, 'early stopping: epochs without validation-loss improvement', 10000),
  class_weights: { type: 'boolean', description: 'weight the loss by inverse class frequency' } as Schema,
};

export const PARAM_SCHEMAS: Record<ModelType, Schema> = {
  cnn: {
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
      ...training,
    },
  },
  vit: {
    type: 'object',
    properties: {
      patch: int(2, 'square patch size in log-mel bins and frames', 256),
      dim: int(4, 'embedding width', 4096),
      depth: int(1, 'transformer blocks', 64),
      heads: int(1, 'attention heads (must divide dim)', 64),
      mlp_dim: int(4, 'hidden units of each block MLP', 16384),
      ...training,
    },
  },
  svm: {
    type: 'object',
    properties: {
      kernel: { type: 'string', enum: ['rbf', 'linear'] },
      C: num(0, 'soft-margin cost', 1e6),
      gamma: { anyOf: [num(0, 'RBF width', 1e6), { type: 'string', enum: ['scale'] }], description: "RBF gamma, or 'scale' = 1/(d·var) as scikit-learn" },
      grid: { type: 'boolean', description: 'pick C and gamma on the validation split from a small grid' },
      class_weights: { type: 'boolean', description: 'balanced class weights (libsvm -wi)' },
    },
  },
  tree: {
    type: 'object',
    properties: {
      criterion: { type: 'string', enum: ['gini', 'entropy'] },
      max_depth: int(1, 'maximum depth', 1000),
      min_samples_leaf: int(1, 'minimum samples in a leaf', 1e6),
      min_samples_split: int(2, 'minimum samples to split a node', 1e6),
      class_weights: { type: 'boolean', description: 'balanced class weights' },
    },
  },
};

/** The features each family can read. */
export const FEATURE_KINDS = ['logmel', 'mfcc', 'summary'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];
export const ACCEPTED_FEATURES: Record<ModelType, readonly FeatureKind[]> = {
  cnn: ['logmel', 'mfcc'],
  vit: ['logmel', 'mfcc'],
  svm: ['summary'],
  tree: ['summary'],
};
