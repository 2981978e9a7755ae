/**
 * The hyper-parameter types of the model families and the schema pieces they share; each
 * family's schema, defaults and accepted features are its entry in models/registry.ts. Kept
 * apart from the model code so that validating a suite loads no tensor library.
 */
import type { Schema } from '../core/schema.ts';

export const int = (minimum: number, description: string, maximum?: number): Schema => ({ type: 'number', integer: true, minimum, maximum, description });
export const num = (minimum: number, description: string, maximum?: number): Schema => ({ type: 'number', minimum, maximum, description });

/** What the two networks' training loop reads (models/neural.ts). */
export interface TrainingParams {
  dropout: number;
  epochs: number;
  batch_size: number;
  learning_rate: number;
  patience: number;
  class_weights: boolean;
  /** What early stopping and checkpoint selection watch on validation: its loss, or its UAR (for imbalanced classes). */
  monitor?: 'loss' | 'uar';
  /** constant, or cosine decay from learning_rate at epoch 1 towards 0 at epoch `epochs`. */
  lr_schedule?: 'constant' | 'cosine';
  /** Decoupled weight decay (AdamW) on the kernels, per step: w ← w − lr · weight_decay · w. */
  weight_decay?: number;
  /** mixup (Zhang et al. 2018): each batch trains on λ·x_i + (1 − λ)·x_π(i) against both labels, λ ~ Beta(α, α); 0 is off. Absent in models saved before it existed: 0. */
  mixup?: number;
}
export interface CnnParams extends TrainingParams {
  filters: number[];
  kernel: number;
  dense: number;
  /** Batch norm's moving-statistics momentum (Keras convention: weight of the old value per step). */
  bn_momentum: number;
}
export interface VitParams extends TrainingParams {
  /** How the input becomes tokens: one strided convolution over non-overlapping patches, or a
   * convolutional stem ('conv', 'cnn': models/vit.ts convStem). Absent in models saved before it
   * existed: those are 'patch'. */
  stem?: 'patch' | 'conv' | 'cnn';
  /** What the head reads: a learned class token's output, or the mean of the patch tokens
   * (Beyer et al. 2022, "Better plain ViT baselines"). Absent in models saved before: 'class'. */
  pool?: 'class' | 'mean';
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

export interface MlpParams extends TrainingParams {
  hidden: number[];
}

/** A model of the user's own (a module implementing the Classifier contract): its params are its own. */
export type ModuleParams = Record<string, unknown>;

/** The training settings both networks share (models/neural.ts reads them). */
export const training = {
  dropout: num(0, 'dropout rate', 0.9),
  epochs: int(1, 'maximum training epochs', 10000),
  batch_size: int(1, 'mini-batch size', 65536),
  learning_rate: num(0, 'Adam learning rate'),
  patience: int(1, 'early stopping: epochs without improvement of the monitored validation metric', 10000),
  class_weights: { type: 'boolean', description: 'weight the loss by inverse class frequency' } as Schema,
  monitor: {
    type: 'string',
    enum: ['loss', 'uar'],
    description: 'validation metric for early stopping and checkpoint selection: loss, or UAR (imbalanced classes)',
  } as Schema,
  lr_schedule: {
    type: 'string',
    enum: ['constant', 'cosine'],
    description: 'learning rate over epochs: constant, or cosine decay from learning_rate (epoch 1) towards 0 (epoch `epochs`)',
  } as Schema,
  weight_decay: num(0, 'decoupled weight decay (AdamW) on kernels, per step', 1),
  mixup: num(
    0,
    'mixup α: each batch mixes its samples pairwise with λ ~ Beta(α, α) and the loss weighs both labels by λ and 1 − λ (0: off; 0.2–0.4 is usual)',
    10,
  ),
};
export interface PredictionsParams {
  /** The CSV or JSONL file of per-clip outputs (absolute once the suite is loaded). */
  path: string;
  /** Only the rows whose `model` column says this (a serbench predictions.csv holds every model's). */
  model?: string;
  /** Rows whose probabilities do not sum to 1 are divided by their sum instead of refused (said on the model's page). */
  renormalize: boolean;
  /** Columns of classes the suite does not have are left out (and rows renormalized) instead of refused. */
  drop_columns: boolean;
}
export interface OnnxParams {
  /** The classifier .onnx file (absolute once the suite is loaded). */
  model: string;
  /** Its output classes, in the order of its output columns. */
  labels: string[];
  input?: string;
  output?: string;
  /** What the output holds: logits (softmaxed here) or probabilities. */
  outputs: 'logits' | 'probabilities';
  /** Waveform input: zero mean, unit variance per clip (the feature extractor's do_normalize). */
  normalize: boolean;
  /** Labels of the model the suite has no class for: their outputs are left out (rows renormalized) instead of refused. */
  drop_labels: boolean;
  /** Suite classes the model has no label for: probability 0 instead of refused. */
  absent_classes: 'refuse' | 'zero';
}
export interface EnsembleParams {
  /** The models of the suite whose probabilities are combined. */
  members: string[];
  /** equal: their mean; validation: the weights (a simplex grid, steps of 0.1) with the lowest log loss on each fold's validation clips. */
  weights: 'equal' | 'validation';
}
