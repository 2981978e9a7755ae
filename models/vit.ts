/**
 * Vision Transformer on spectrogram patches (Dosovitskiy et al. 2021, as AST does for audio):
 * non-overlapping patches embedded by a strided convolution, a learned class token and learned
 * position embeddings, pre-norm blocks of multi-head self-attention and a GELU MLP, and a
 * linear head on the class token. Custom layers are registered, so the model serializes.
 */
import { tf } from './backend.ts';
import type { Classifier, SerializedModel } from './classifier.ts';
import type { VitParams } from './params.ts';
import { NeuralClassifier } from './neural.ts';
import { BatchNorm, LayerNorm, SampleDropout, inputConv2d } from './layers.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

/** Prepends a learned [1, dim] class token to a [B, T, dim] sequence. */
class ClassToken extends tf.layers.Layer {
  static className = 'SerbenchClassToken';
  private token!: tf.LayerVariable;
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const dim = (inputShape as number[])[2];
    this.token = this.addWeight('token', [1, 1, dim], 'float32', tf.initializers.truncatedNormal({ stddev: 0.02 }));
    this.built = true;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, t, d] = s as number[];
    return [b, t === null ? null : t + 1, d] as tf.Shape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    // Broadcast by adding to zeros: the gradients of tile and broadcastTo are slice-and-add loops
    // over the batch (80% of a training step on wasm); that of a broadcasting add is one sum.
    return tf.tidy(() => tf.concat([tf.add(tf.zeros([x.shape[0]!, 1, x.shape[2]!]), this.token.read()), x], 1));
  }
}

/** Adds learned position embeddings of shape [T, dim]. */
class PositionEmbedding extends tf.layers.Layer {
  static className = 'SerbenchPositionEmbedding';
  private table!: tf.LayerVariable;
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, t, d] = inputShape as number[];
    this.table = this.addWeight('positions', [t, d], 'float32', tf.initializers.truncatedNormal({ stddev: 0.02 }));
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.add(x, this.table.read()));
  }
}

/** Multi-head scaled dot-product self-attention over [B, T, dim]. */
class MultiHeadSelfAttention extends tf.layers.Layer {
  static className = 'SerbenchMultiHeadSelfAttention';
  readonly heads: number;
  private w: Record<'q' | 'k' | 'v' | 'o', { kernel: tf.LayerVariable; bias: tf.LayerVariable }> = {} as never;
  constructor(args: LayerArgs & { heads: number }) {
    super(args);
    this.heads = args.heads;
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = (inputShape as number[])[2];
    if (d % this.heads !== 0) throw new Error(`attention: heads (${this.heads}) must divide dim (${d})`);
    for (const name of ['q', 'k', 'v', 'o'] as const) {
      this.w[name] = {
        kernel: this.addWeight(`${name}_kernel`, [d, d], 'float32', tf.initializers.glorotUniform({})),
        bias: this.addWeight(`${name}_bias`, [d], 'float32', tf.initializers.zeros()),
      };
    }
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    return tf.tidy(() => {
      const [b, t, d] = x.shape;
      const h = this.heads,
        dh = d / h;
      const project = (name: 'q' | 'k' | 'v' | 'o', v: tf.Tensor3D) =>
        tf.add(tf.matMul(v.reshape([b * t, d]), this.w[name].kernel.read() as tf.Tensor2D), this.w[name].bias.read()).reshape([b, t, d]) as tf.Tensor3D;
      const split = (v: tf.Tensor3D) => v.reshape([b, t, h, dh]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
      const q = split(project('q', x)),
        k = split(project('k', x)),
        v = split(project('v', x));
      const attention = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)));
      const context = tf.matMul(attention, v).transpose([0, 2, 1, 3]).reshape([b, t, d]) as tf.Tensor3D;
      return project('o', context);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads };
  }
}

/** The class token's output: [B, T, dim] → [B, dim]. */
class TakeClassToken extends tf.layers.Layer {
  static className = 'SerbenchTakeClassToken';
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, , d] = s as number[];
    return [b, d];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => x.slice([0, 0, 0], [x.shape[0]!, 1, x.shape[2]!]).reshape([x.shape[0]!, x.shape[2]!]));
  }
}

for (const c of [ClassToken, PositionEmbedding, MultiHeadSelfAttention, TakeClassToken]) tf.serialization.registerClass(c as any);

/** Non-overlapping patch × patch patches, each embedded by one linear map (a strided convolution). */
function patchStem(input: tf.SymbolicTensor, p: VitParams): tf.SymbolicTensor {
  return inputConv2d({ filters: p.dim, kernelSize: p.patch, strides: p.patch, padding: 'valid', name: 'patch_embedding' }).apply(input) as tf.SymbolicTensor;
}

/**
 * Convolutional stems: log2(patch) 3×3 convolutions with batch norm and ReLU, widths doubling up
 * to dim, then a 1×1 convolution to dim, so each token still stands for a patch × patch area but
 * neighbouring tokens overlap. 'conv': stride-2 convolutions (Xiao et al. 2021, "Early
 * convolutions help transformers see better"). 'cnn': the CNN's blocks, stride-1 convolutions
 * each followed by 2×2 max-pooling (the hybrid ViT of Dosovitskiy et al. 2021, §3.1), 4× the
 * convolution work. Both give the transformer the local prior that a ViT trained from scratch on
 * a few hundred clips cannot learn (#13, README Models).
 */
function convStem(input: tf.SymbolicTensor, p: VitParams): tf.SymbolicTensor {
  const n = Math.log2(p.patch);
  const pooled = p.stem === 'cnn';
  let x = input;
  for (let i = 0; i < n; i++) {
    const filters = Math.max(1, Math.round(p.dim / 2 ** (n - 1 - i)));
    const conv = { filters, kernelSize: 3, strides: pooled ? 1 : 2, padding: 'same', useBias: false, name: `stem_conv_${i}` } as const;
    x = (i === 0 ? inputConv2d(conv) : tf.layers.conv2d(conv)).apply(x) as tf.SymbolicTensor;
    x = new BatchNorm({ momentum: 0.9, relu: true, name: `stem_norm_${i}` }).apply(x) as tf.SymbolicTensor;
    if (pooled) x = tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  }
  return tf.layers.conv2d({ filters: p.dim, kernelSize: 1, name: 'patch_embedding' }).apply(x) as tf.SymbolicTensor;
}

export class VisionTransformer extends NeuralClassifier implements Classifier {
  readonly family = 'vit';
  constructor(
    k: number,
    readonly params: VitParams,
  ) {
    super(k, params);
  }

  protected readonly layout = 'image';

  protected build([height, width]: number[]): tf.LayersModel {
    const p = this.params;
    if (height < p.patch || width < p.patch) throw new Error(`vit: patch ${p.patch} is larger than the ${height}×${width} input`);
    const input = tf.input({ shape: [height, width, 1] });
    const patches = p.stem === 'conv' || p.stem === 'cnn' ? convStem(input, p) : patchStem(input, p);
    const [, ph, pw] = patches.shape as number[];
    let x = tf.layers.reshape({ targetShape: [ph * pw, p.dim] }).apply(patches) as tf.SymbolicTensor;
    const mean = p.pool === 'mean';
    if (!mean) x = new ClassToken({ name: 'class_token' }).apply(x) as tf.SymbolicTensor;
    x = new PositionEmbedding({ name: 'position_embedding' }).apply(x) as tf.SymbolicTensor;
    x = new SampleDropout({ rate: p.dropout }).apply(x) as tf.SymbolicTensor;
    for (let i = 0; i < p.depth; i++) {
      const a = new LayerNorm({}).apply(x) as tf.SymbolicTensor;
      const att = new MultiHeadSelfAttention({ heads: p.heads, name: `attention_${i}` }).apply(a) as tf.SymbolicTensor;
      x = tf.layers.add().apply([x, new SampleDropout({ rate: p.dropout }).apply(att) as tf.SymbolicTensor]) as tf.SymbolicTensor;
      const m = new LayerNorm({}).apply(x) as tf.SymbolicTensor;
      let mlp = tf.layers.dense({ units: p.mlp_dim, activation: 'gelu' }).apply(m) as tf.SymbolicTensor;
      mlp = tf.layers.dense({ units: p.dim }).apply(new SampleDropout({ rate: p.dropout }).apply(mlp) as tf.SymbolicTensor) as tf.SymbolicTensor;
      x = tf.layers.add().apply([x, mlp]) as tf.SymbolicTensor;
    }
    x = new LayerNorm({}).apply(x) as tf.SymbolicTensor;
    const pooled = (mean ? tf.layers.globalAveragePooling1d({ name: 'mean_of_tokens' }) : new TakeClassToken({ name: 'take_class_token' })).apply(
      x,
    ) as tf.SymbolicTensor;
    const logits = tf.layers.dense({ units: this.k, name: 'head' }).apply(pooled) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: logits });
  }

  static async fromJSON(j: SerializedModel): Promise<VisionTransformer> {
    const m = new VisionTransformer(j.k, j.settings as VitParams);
    await m.restore(j);
    return m;
  }
}
