/**
 * Pretrained speech embeddings: a local ONNX speech encoder (wav2vec2, HuBERT, WavLM… exported
 * by the user; nothing is ever downloaded) run by onnxruntime-node on a clip's waveform, its
 * hidden states pooled over time into one vector. As EmoBox and SUPERB do: a frozen encoder, a
 * chosen layer (or all of them), and a light classifier on top.
 *
 * The encoder must take the raw waveform [batch, samples] at the suite's sample_rate (16 kHz for
 * all of these) and give hidden states [batch, frames, dim], or stacked [layers, batch, frames,
 * dim] (as an export with output_hidden_states does), or several [batch, frames, dim] outputs
 * (hidden_states.0 … hidden_states.N). Whisper's encoder takes its own log-mel input, not a
 * waveform: it is not supported yet.
 */
import { fileHash } from '../../core/file-hash.ts';
import { onnxSession, normalizeWaveform } from '../../core/onnx.ts';
import type { Schema } from '../../core/schema.ts';
import type { CachedArray } from './cache.ts';

export interface EmbeddingSettings {
  /** The .onnx file (absolute once the suite is loaded). */
  model: string;
  /** The waveform input's name (default: the model's first input). */
  input?: string;
  /** Hidden-state output(s) (default: the model's first output). Several outputs are layers, in order. */
  output?: string | string[];
  /** Which layer: an index into the layers (negative counts from the last; default −1), or all, concatenated. */
  layer: number | 'all';
  /** mean over frames, or mean and standard deviation side by side. */
  pooling: 'mean' | 'mean_std';
  /** Zero mean, unit variance per clip before the encoder (the feature extractor's do_normalize). */
  normalize: boolean;
}

export const DEFAULT_EMBEDDING: Omit<EmbeddingSettings, 'model'> = { layer: -1, pooling: 'mean', normalize: true };

export const EMBEDDING_SCHEMA: Schema = {
  type: 'object',
  required: ['model'],
  description: 'the `embedding` feature kind: a local ONNX speech encoder (never downloaded) pooled over time',
  properties: {
    model: { type: 'string', description: 'the encoder .onnx file, relative to the suite; ${VAR:-default} is expanded' },
    input: { type: 'string', description: "the waveform input's name (default: the model's first input)" },
    output: {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
      description: "hidden-state output(s) (default: the model's first); several are layers, in order",
    },
    layer: {
      anyOf: [
        { type: 'number', integer: true, minimum: -1000, maximum: 1000 },
        { type: 'string', enum: ['all'] },
      ],
      description: 'layer index (negative: from the last) or all (concatenated)',
      default: DEFAULT_EMBEDDING.layer,
    },
    pooling: { type: 'string', enum: ['mean', 'mean_std'], description: 'over frames', default: DEFAULT_EMBEDDING.pooling },
    normalize: { type: 'boolean', description: "zero mean, unit variance waveform (the encoder's do_normalize)", default: DEFAULT_EMBEDDING.normalize },
  },
};

/** The encoder file's content hash: a changed encoder gets new cache entries. */
export const encoderIdentity = fileHash;

/** A [frames, dim] hidden state of one clip, as a view into the output's data. */
interface Layer {
  frames: number;
  dim: number;
  data: Float32Array;
}

function layersOf(name: string, t: { dims: readonly number[]; data: unknown; type: string }, model: string): Layer[] {
  if (t.type !== 'float32') throw new Error(`${model}: output ${name} is ${t.type}, expected float32 hidden states`);
  const data = t.data as Float32Array;
  const d = t.dims;
  if (d.length === 3 && d[0] === 1) return [{ frames: d[1], dim: d[2], data }];
  if (d.length === 4 && d[1] === 1) {
    const size = d[2] * d[3];
    return Array.from({ length: d[0] }, (_, l) => ({ frames: d[2], dim: d[3], data: data.subarray(l * size, (l + 1) * size) }));
  }
  throw new Error(`${model}: output ${name} has shape [${d}]; expected [1, frames, dim] or [layers, 1, frames, dim]`);
}

function pool(layer: Layer, how: EmbeddingSettings['pooling']): Float64Array {
  const { frames, dim, data } = layer;
  const mean = new Float64Array(dim);
  for (let t = 0; t < frames; t++) for (let k = 0; k < dim; k++) mean[k] += data[t * dim + k];
  for (let k = 0; k < dim; k++) mean[k] /= frames;
  if (how === 'mean') return mean;
  const sd = new Float64Array(dim);
  for (let t = 0; t < frames; t++) for (let k = 0; k < dim; k++) sd[k] += (data[t * dim + k] - mean[k]) ** 2;
  const out = new Float64Array(2 * dim);
  out.set(mean);
  for (let k = 0; k < dim; k++) out[dim + k] = Math.sqrt(sd[k] / frames);
  return out;
}

/** The pooled embedding of one clip's waveform. */
export async function embedWaveform(y: Float32Array, s: EmbeddingSettings): Promise<CachedArray> {
  const { ort, sess } = await onnxSession(s.model, 'encoder');
  const input = s.input ?? sess.inputNames[0];
  if (!sess.inputNames.includes(input)) throw new Error(`${s.model}: has no input "${input}" (inputs: ${sess.inputNames.join(', ')})`);
  const outputs = s.output === undefined ? [sess.outputNames[0]] : ([] as string[]).concat(s.output);
  for (const o of outputs) if (!sess.outputNames.includes(o)) throw new Error(`${s.model}: has no output "${o}" (outputs: ${sess.outputNames.join(', ')})`);
  const x = s.normalize ? normalizeWaveform(y) : y;
  let result: Record<string, { dims: readonly number[]; data: unknown; type: string; dispose?: () => void }>;
  try {
    result = await sess.run({ [input]: new ort.Tensor('float32', x, [1, x.length]) }, outputs);
  } catch (e) {
    throw new Error(`${s.model}: the encoder failed on a ${x.length}-sample clip: ${(e as Error).message.split('\n')[0]}`);
  }
  const layers = outputs.flatMap((o) => layersOf(o, result[o], s.model));
  for (const o of Object.values(result)) o.dispose?.();
  if (layers.some((l) => l.frames === 0)) throw new Error(`${s.model}: the encoder gave no frames for a ${x.length}-sample clip (too short)`);
  let chosen: Layer[];
  if (s.layer === 'all') chosen = layers;
  else {
    const i = s.layer < 0 ? layers.length + s.layer : s.layer;
    if (i < 0 || i >= layers.length) throw new Error(`${s.model}: layer ${s.layer} does not exist (${layers.length} layer(s) in ${outputs.join(', ')})`);
    chosen = [layers[i]];
  }
  const parts = chosen.map((l) => pool(l, s.pooling));
  const data = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { shape: [data.length], data };
}
