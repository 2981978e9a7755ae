/**
 * `type: onnx`: a whole pretrained classifier (a fine-tuned wav2vec2, a PyTorch CNN exported with
 * torch.onnx.export) evaluated without training, through onnxruntime-node. It reads the waveform
 * (`features: waveform`, normalized as a speech model's feature extractor does) or any feature
 * kind: vectors go in as [n, d], images as [n, 1, bands, frames]. Its output, logits or
 * probabilities over its own labels (given in the suite, in order), is mapped to the suite's
 * classes; a label or class one side lacks is refused unless the suite says how to handle it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { allSamples, type Batch } from '../core/batch.ts';
import { onnxSession, normalizeWaveform } from '../core/onnx.ts';
import type { Classifier, FitOptions, FitReport, SerializedModel } from './classifier.ts';
import type { OnnxParams } from './params.ts';
import { mapClasses, rowProbabilities, type ClassMapping } from './external-outputs.ts';

/** Rows run through the model at a time. */
const CHUNK = 16;

export class OnnxClassifier implements Classifier {
  readonly family = 'onnx';
  private mapping: ClassMapping | null = null;
  private sha256 = '';

  constructor(
    readonly k: number,
    readonly params: OnnxParams,
  ) {}

  async fit(_train: Batch, _val: Batch | undefined, opts: FitOptions): Promise<FitReport> {
    const t0 = performance.now();
    if (!opts.job) throw new Error("onnx: needs the suite's classes to map its labels to");
    const p = this.params;
    this.mapping = mapClasses(p.labels, opts.job.classes, {
      dropLabels: p.drop_labels,
      absentAsZero: p.absent_classes === 'zero',
      where: p.model,
      what: 'labels',
    });
    this.sha256 = createHash('sha256').update(readFileSync(p.model)).digest('hex').slice(0, 32);
    const { sess } = await onnxSession(p.model, 'classifier');
    const input = p.input ?? sess.inputNames[0];
    if (!sess.inputNames.includes(input)) throw new Error(`${p.model}: has no input "${input}" (inputs: ${sess.inputNames.join(', ')})`);
    const output = p.output ?? sess.outputNames[0];
    if (!sess.outputNames.includes(output)) throw new Error(`${p.model}: has no output "${output}" (outputs: ${sess.outputNames.join(', ')})`);
    return {
      seconds: (performance.now() - t0) / 1000,
      parameters: 0,
      notes: [
        `pretrained classifier ${p.model}, sha256 ${this.sha256}…, not trained here; its ${p.outputs}${p.outputs === 'logits' ? ' softmaxed' : ''}`,
        ...(p.normalize ? ['input normalized to zero mean, unit variance per clip'] : []),
        ...this.mapping.notes,
      ],
    };
  }

  async predictProba(b: Batch): Promise<Float32Array> {
    if (!this.mapping) throw new Error('onnx: predictProba before fit');
    const p = this.params;
    const { ort, sess } = await onnxSession(p.model, 'classifier');
    const input = p.input ?? sess.inputNames[0];
    const output = p.output ?? sess.outputNames[0];
    const x = allSamples(b);
    const d = b.sampleShape.reduce((a, s) => a * s, 1);
    const shape = (rows: number) => (b.sampleShape.length === 2 ? [rows, 1, ...b.sampleShape] : [rows, d]);
    const out = new Float32Array(b.n * this.k);
    for (let start = 0; start < b.n; start += CHUNK) {
      const rows = Math.min(CHUNK, b.n - start);
      const part = new Float32Array(rows * d);
      for (let r = 0; r < rows; r++) {
        const sample = x.subarray((start + r) * d, (start + r + 1) * d);
        part.set(p.normalize ? normalizeWaveform(sample) : sample, r * d);
      }
      let result: Record<string, { dims: readonly number[]; data: unknown; type: string; dispose?: () => void }>;
      try {
        result = await sess.run({ [input]: new ort.Tensor('float32', part, shape(rows)) }, [output]);
      } catch (e) {
        throw new Error(`${p.model}: the classifier failed on input [${shape(rows)}]: ${(e as Error).message.split('\n')[0]}`);
      }
      const t = result[output];
      if (t.dims.length !== 2 || t.dims[0] !== rows || t.dims[1] !== p.labels.length)
        throw new Error(`${p.model}: output ${output} has shape [${t.dims}], expected [${rows}, ${p.labels.length}] (one column per label of params.labels)`);
      const data = t.data as Float32Array;
      for (let r = 0; r < rows; r++) {
        const values = Array.from(data.subarray(r * p.labels.length, (r + 1) * p.labels.length));
        const row = rowProbabilities(values, p.outputs, this.mapping, { renormalize: false, where: `${p.model}: clip ${b.ids?.[start + r] ?? start + r}` });
        out.set(row.probs, (start + r) * this.k);
      }
      t.dispose?.();
    }
    return out;
  }

  async toJSON(): Promise<SerializedModel> {
    return { family: this.family, k: this.k, params: this.params, sha256: this.sha256, mapping: this.mapping };
  }

  static async fromJSON(j: SerializedModel): Promise<OnnxClassifier> {
    const m = new OnnxClassifier(j.k, j.params as OnnxParams);
    m.sha256 = String(j.sha256 ?? '');
    m.mapping = j.mapping as ClassMapping;
    return m;
  }
}
