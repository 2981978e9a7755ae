/**
 * Multilayer perceptron on a feature vector: the light classifier that goes on top of frozen
 * speech embeddings (as EmoBox's and SUPERB's downstream heads), or on the summary vector.
 * [dense → relu → dropout] per hidden layer, then linear logits; trained by the same loop as the
 * CNN (standardized inputs, class-weighted loss, early stopping on validation loss).
 */
import { tf } from './backend.ts';
import type { Classifier, SerializedModel } from './classifier.ts';
import type { MlpParams } from './params.ts';
import { NeuralClassifier } from './neural.ts';
import { SampleDropout } from './layers.ts';

export class Mlp extends NeuralClassifier implements Classifier {
  readonly family = 'mlp';
  protected readonly layout = 'vector';
  constructor(
    k: number,
    readonly params: MlpParams,
  ) {
    super(k, params);
  }

  protected build([d]: number[]): tf.LayersModel {
    const p = this.params;
    const model = tf.sequential();
    model.add(tf.layers.inputLayer({ inputShape: [d] }));
    for (const units of p.hidden) {
      model.add(tf.layers.dense({ units, activation: 'relu' }));
      model.add(new SampleDropout({ rate: p.dropout }));
    }
    model.add(tf.layers.dense({ units: this.k })); // logits; softmax in predictProba
    return model;
  }

  static async fromJSON(j: SerializedModel): Promise<Mlp> {
    const m = new Mlp(j.k, j.settings as MlpParams);
    await m.restore(j);
    return m;
  }
}
