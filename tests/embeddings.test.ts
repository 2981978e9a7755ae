/**
 * Speech embeddings as features: the ONNX encoder path checked against torch's own outputs of
 * the tiny fixture encoder (tests/fixtures/tiny-encoder, made by its script), precomputed
 * embeddings from .npy files (per clip, and a matrix with ids), the MLP head, and the suite
 * checks that name what is missing.
 */
import { describe, it, expect } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedWaveform, DEFAULT_EMBEDDING } from '../datasets/features/embedding.ts';
import { readNpy } from '../datasets/features/precomputed.ts';
import { loadSuite, parseSuite } from '../harness/suite.ts';
import { runSuite } from '../harness/run/run.ts';
import { report } from '../harness/cli/report.ts';
import type { Results } from '../harness/stats/evaluate-run.ts';
import { loadSuiteData } from '../harness/data.ts';
import { CORPORA_SAMPLE, haveShared } from './paths.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'tiny-encoder');
const ENCODER = join(FIXTURE, 'tiny-encoder.onnx');
const reference = JSON.parse(readFileSync(join(FIXTURE, 'tiny-encoder-reference.json'), 'utf8')) as {
  last_mean: number[];
  last_std: number[];
  layer_means: number[][];
};
const input = Float32Array.from(
  { length: 16000 },
  (_, i) => 0.5 * Math.sin((2 * Math.PI * 220 * i) / 16000) + 0.1 * Math.sin((2 * Math.PI * 1375 * i) / 16000),
);

const close = (got: Float32Array, want: number[], tol = 1e-4) => {
  expect(got.length).toBe(want.length);
  const worst = Math.max(...want.map((w, i) => Math.abs(got[i] - w)));
  expect(worst).toBeLessThan(tol);
};

/** A .npy v1.0 file of float32 or float64 values. */
function npy(shape: number[], values: ArrayLike<number>, dtype: '<f4' | '<f8' = '<f4'): Buffer {
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const size = dtype === '<f4' ? 4 : 8;
  const body = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) dtype === '<f4' ? body.writeFloatLE(values[i], i * 4) : body.writeDoubleLE(values[i], i * 8);
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

describe('ONNX speech encoder', () => {
  it('pools the last hidden state as torch does (mean, and mean + std)', async () => {
    const s = { ...DEFAULT_EMBEDDING, model: ENCODER, normalize: false };
    close((await embedWaveform(input, s)).data, reference.last_mean);
    const both = await embedWaveform(input, { ...s, pooling: 'mean_std' });
    close(both.data, [...reference.last_mean, ...reference.last_std]);
  });

  it('picks a layer of stacked hidden states, or concatenates all of them', async () => {
    const s = { ...DEFAULT_EMBEDDING, model: ENCODER, normalize: false, output: 'hidden_states' };
    close((await embedWaveform(input, { ...s, layer: 0 })).data, reference.layer_means[0]);
    close((await embedWaveform(input, { ...s, layer: -1 })).data, reference.layer_means[2]);
    close((await embedWaveform(input, { ...s, layer: 'all' })).data, reference.layer_means.flat());
  });

  it('names what is wrong: a missing output, a layer out of range, a clip too short for one frame', async () => {
    const s = { ...DEFAULT_EMBEDDING, model: ENCODER };
    await expect(embedWaveform(input, { ...s, output: 'logits' })).rejects.toThrow(
      `${ENCODER}: has no output "logits" (outputs: last_hidden_state, hidden_states)`,
    );
    await expect(embedWaveform(input, { ...s, output: 'hidden_states', layer: 3 })).rejects.toThrow(/layer 3 does not exist \(3 layer/);
    await expect(embedWaveform(input.subarray(0, 100), s)).rejects.toThrow(/the encoder failed on a 100-sample clip|gave no frames for a 100-sample clip/);
  });
});

describe('suites with embeddings', () => {
  it('examples/embeddings.yaml runs the encoder under MLP, SVM and tree; a second run reads the cache', async () => {
    const suite = loadSuite(join(import.meta.dirname, '..', 'examples', 'embeddings.yaml'));
    expect(suite.features.embedding!.model).toBe(ENCODER);
    const out = mkdtempSync(join(tmpdir(), 'serbench-emb-'));
    const cacheDir = join(out, 'cache');
    const first = await runSuite(suite, { out: join(out, 'a'), cacheDir, quiet: true, jobs: 1 });
    expect(first.failed).toEqual([]);
    expect(first.cache.misses).toBeGreaterThan(0);
    await report(join(out, 'a'));
    const r: Results = JSON.parse(readFileSync(join(out, 'a', 'results.json'), 'utf8'));
    expect(r.models.map((m) => m.name).sort()).toEqual(['mlp', 'svm', 'tree']);
    const mlp = r.models.find((m) => m.name === 'mlp')!;
    expect(mlp.family).toBe('mlp');
    const second = await runSuite(suite, { out: join(out, 'b'), cacheDir, quiet: true, jobs: 1 });
    expect(second.cache.misses).toBe(0);
    // The encoder is part of the run's identity and provenance.
    expect(r.provenance.feature_inputs).toEqual([{ kind: 'embedding', file: ENCODER, sha256: expect.stringMatching(/^[0-9a-f]{32}$/) }]);
    expect(readFileSync(join(out, 'a', 'site', 'provenance.html'), 'utf8')).toContain(r.provenance.feature_inputs[0].sha256);
  }, 120_000);

  it('precomputed embeddings (per-clip files and a matrix with ids) train the MLP; they carry the label signal put in them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-pre-'));
    const synth = { speakers_per_corpus: 6, clips_per_emotion: 4, conditions: 1, seed: 3 };
    const classes = ['neutral', 'happy', 'sad', 'angry'];
    const { clips } = loadSuiteData(
      parseSuite(
        `name: c\ndatasets: [{ corpus: synthetic, synthetic: ${JSON.stringify(synth)} }]\nlabels: { set: [${classes.join(', ')}] }\nmodels: [{ type: svm }]\n`,
        join(dir, 'c.yaml'),
      ),
    );
    // Vectors whose class is plain (one-hot + noise): a working path must learn them.
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.6;
    const vec = (emotion: string) => Array.from({ length: 8 }, (_, k) => (k === classes.indexOf(emotion) ? 1 : 0) + noise());
    const rows: number[] = [];
    const ids: string[] = [];
    for (const c of clips) {
      const v = vec(c.emotion);
      mkdirSync(join(dir, 'per-clip', c.id.split('/')[0]), { recursive: true });
      // Per clip: a [frames, dim] array (pooled by its mean) for half, a vector for the rest.
      if (ids.length % 2) writeFileSync(join(dir, 'per-clip', `${c.id}.npy`), npy([8], v));
      else writeFileSync(join(dir, 'per-clip', `${c.id}.npy`), npy([2, 8], [...v, ...v], '<f8'));
      rows.push(...v);
      ids.push(c.id);
    }
    writeFileSync(join(dir, 'matrix.npy'), npy([ids.length, 8], rows));
    writeFileSync(join(dir, 'ids.txt'), '\uFEFF' + ids.join('\n') + '\n');
    expect(readNpy(join(dir, 'matrix.npy')).shape).toEqual([ids.length, 8]);
    const suite = (pre: string) => `name: pre
seeds: [1]
datasets: [{ corpus: synthetic, synthetic: ${JSON.stringify(synth)} }]
labels: { set: [${classes.join(', ')}] }
split: { protocol: speaker-independent, test_fraction: 0.3, val_fraction: 0.2 }
augment: { copies: 1, ops: [{ type: noise, snr_db: 20 }] }
features: { duration: 1.0, precomputed: ${pre} }
models:
  - { name: mlp, type: mlp, features: precomputed, params: { hidden: [16], epochs: 100, learning_rate: 0.01 } }
evaluation: { bootstrap: 100, min_slice: 5 }
`;
    for (const pre of ['{ path: ./per-clip }', '{ path: ./matrix.npy, ids: ./ids.txt }']) {
      const s = parseSuite(suite(pre), join(dir, 'suite.yaml'));
      const out = join(dir, `run-${pre.length}`);
      const summary = await runSuite(s, { out, cacheDir: null, quiet: true, jobs: 1 });
      expect(summary.failed).toEqual([]);
      await report(out);
      const r: Results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      expect(r.models[0].evaluation.headline.uar.estimate).toBeGreaterThan(0.9);
    }
  }, 120_000);

  it.skipIf(!haveShared('embeddings of real speech', 'corpora-sample'))(
    'on the shared sample of the four corpora (real speech), every clip is embedded and the MLP and SVM train on held-out speakers',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'serbench-emb-real-'));
      const text = `name: real
seeds: [1]
datasets:
${['ravdess', 'tess', 'crema-d', 'savee'].map((c) => `  - { corpus: ${c}, path: ${join(CORPORA_SAMPLE, c)} }`).join('\n')}
labels: { set: [neutral, happy, sad, angry, fearful, disgust, surprised], map: { calm: neutral } }
split: { protocol: speaker-independent, test_fraction: 0.3, val_fraction: 0.15 }
features: { embedding: { model: ${ENCODER}, output: hidden_states, layer: all, pooling: mean_std } }
models:
  - { name: mlp, type: mlp, features: embedding, params: { hidden: [64], epochs: 40 } }
  - { name: svm, type: svm, features: embedding }
evaluation: { bootstrap: 100, min_slice: 10, slices: [corpus] }
`;
      const s = parseSuite(text, join(dir, 'suite.yaml'));
      const out = join(dir, 'run');
      const summary = await runSuite(s, { out, cacheDir: join(dir, 'cache'), quiet: true, jobs: 2 });
      expect(summary.failed).toEqual([]);
      const clips = loadSuiteData(s).clips.length;
      expect(clips).toBeGreaterThan(300);
      expect(summary.cache.misses).toBe(clips); // one embedding per clip, each computed once
      await report(out);
      const r: Results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      for (const m of r.models) expect(m.evaluation.headline.uar.n).toBeGreaterThan(50);
    },
    180_000,
  );

  it('a changed encoder is never mistaken for the one a run folder was computed with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-emb-changed-'));
    const encoder = join(dir, 'enc.onnx');
    writeFileSync(encoder, readFileSync(ENCODER));
    const text = `name: changed
seeds: [1]
datasets: [{ corpus: synthetic, synthetic: { speakers_per_corpus: 4, clips_per_emotion: 2, conditions: 1 } }]
labels: { set: [neutral, angry] }
split: { protocol: speaker-independent, test_fraction: 0.3, val_fraction: 0.2 }
features: { duration: 1.0, embedding: { model: ./enc.onnx } }
models: [{ type: tree, features: embedding }]
evaluation: { bootstrap: 50, min_slice: 2 }
`;
    const out = join(dir, 'run');
    expect((await runSuite(parseSuite(text, join(dir, 'suite.yaml')), { out, cacheDir: null, quiet: true, jobs: 1 })).failed).toEqual([]);
    // Same suite text, same path, other weights (one byte of the last initializer changed).
    const bytes = readFileSync(ENCODER);
    bytes[bytes.length - 20] ^= 0xff;
    writeFileSync(encoder, bytes);
    await expect(runSuite(parseSuite(text, join(dir, 'suite.yaml')), { out, cacheDir: null, quiet: true, jobs: 1 })).rejects.toThrow(
      /files its features read that have changed since \(an encoder, embeddings\)/,
    );
  }, 60_000);

  it('refuses, naming the field: an image network on vectors, a kind without its settings, a missing encoder, a bad .npy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-emb-bad-'));
    const text = (features: string, model: string) => `name: x\ndatasets: [{ corpus: synthetic }]\nfeatures: ${features}\nmodels: [${model}]\n`;
    expect(() => parseSuite(text('{ embedding: { model: ./enc.onnx } }', '{ type: cnn, features: embedding }'), join(dir, 's.yaml'))).toThrow(
      /models\[0\]\.features: cnn reads image features \(logmel, mfcc\), not embedding \(vector\)/,
    );
    expect(() => parseSuite(text('{}', '{ type: mlp, features: embedding }'), join(dir, 's.yaml'))).toThrow(
      /models\[0\]\.features: embedding needs its settings: features\.embedding/,
    );
    expect(() => parseSuite(text('{ embedding: { model: ./enc.onnx } }', '{ type: svm, features: embedding }'), join(dir, 's.yaml'))).toThrow(
      `features.embedding.model: ${join(dir, 'enc.onnx')} does not exist`,
    );
    writeFileSync(
      join(dir, 'int.npy'),
      Buffer.concat([npy([2], [1, 2]).subarray(0, 10), Buffer.from("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n")]),
    );
    expect(() => readNpy(join(dir, 'int.npy'))).toThrow(`${join(dir, 'int.npy')}: dtype <i8; expected float32 (<f4) or float64 (<f8)`);
    writeFileSync(join(dir, 'text.npy'), 'hello');
    expect(() => readNpy(join(dir, 'text.npy'))).toThrow('not a NumPy .npy file');
  });
});
