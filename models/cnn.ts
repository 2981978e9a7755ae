/** Convolutional network on log-mel images: [conv → batch norm → relu → max-pool] blocks, time pooling, dense, softmax. */
import { tf } from './backend.ts';
import type { Classifier, SerializedModel } from './classifier.ts';
import type { CnnParams } from './params.ts';
import { NeuralClassifier } from './neural.ts';
import { BatchNorm, SampleDropout, inputConv2d } from './layers.ts';

export class Cnn extends NeuralClassifier implements Classifier {
  readonly family = 'cnn';
  constructor(
    k: number,
    readonly params: CnnParams,
  ) {
    super(k, params);
  }

  protected readonly layout = 'image';

  protected build([height, width]: number[]): tf.LayersModel {
    const p = this.params;
    const model = tf.sequential();
    let h = height,
      w = width;
    p.filters.forEach((filters, i) => {
      const conv = { filters, kernelSize: p.kernel, padding: 'same', useBias: false } as const;
      model.add(i === 0 ? inputConv2d({ ...conv, inputShape: [height, width, 1] }) : tf.layers.conv2d(conv));
      model.add(new BatchNorm({ momentum: p.bn_momentum, relu: true }));
      if (h >= 2 && w >= 2) {
        model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
        h = Math.floor(h / 2);
        w = Math.floor(w / 2);
      }
    });
    // Average over time only: where energy sits in frequency (pitch, formants, tilt) is the
    // emotion cue, so the frequency axis must survive into the dense layers.
    model.add(tf.layers.averagePooling2d({ poolSize: [1, w], strides: [1, w] }));
    model.add(tf.layers.flatten());
    model.add(new SampleDropout({ rate: p.dropout }));
    model.add(tf.layers.dense({ units: p.dense, activation: 'relu' }));
    model.add(new SampleDropout({ rate: p.dropout }));
    model.add(tf.layers.dense({ units: this.k })); // logits; softmax in predictProba
    return model;
  }

  static async fromJSON(j: SerializedModel): Promise<Cnn> {
    const m = new Cnn(j.k, j.settings as CnnParams);
    await m.restore(j);
    return m;
  }
}
