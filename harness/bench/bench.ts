/**
 * `npm run bench`: feature extraction and model training speeds on this machine, written as
 * JSON to bench-results/. Sections: features, models (default both): `npm run bench -- models`;
 * cnn (the networks against PyTorch, with an op profile): `npm run bench -- cnn`;
 * svm (the SVM against scikit-learn on one matrix): `npm run bench -- svm`;
 * scale (about an hour, only when named): `npm run bench -- scale`.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { FeaturePool, type PoolResult } from '../../datasets/features/pool.ts';
import { probeWav } from '../../datasets/audio/wav.ts';
import { loadCorpus } from '../../datasets/corpora/load.ts';
import type { AugmentOp, FeatureSettings } from '../suite.ts';
import type { FeatureKind } from '../../datasets/features/registry.ts';
import { DEFAULT_PARAMS } from '../../models/registry.ts';
import { createClassifier } from '../../models/registry.ts';
import { tensorBackend } from '../../models/backend.ts';
import type { Batch } from '../../core/batch.ts';
import { Rng } from '../../core/random.ts';
import { versions } from '../../core/versions.ts';
import { networkKernelBuild } from '../../core/wasm.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const shared = resolve(root, '../shared/corpora-sample');
const sections = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const want = (s: string) => sections.length === 0 || sections.includes(s);
/** The CPU's SIMD extensions (Linux: /proc/cpuinfo's flags), stated beside every figure. */
function simdFlags(): string[] {
  try {
    const flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].split(' ') ?? [];
    return flags.filter((f) => /^(sse4_2|avx|avx2|fma|avx512f|avx512bw|avx512vl|avx512_vnni|avx512_bf16|amx_\w+|neon|asimd)$/.test(f));
  } catch {
    return [];
  }
}
const out: Record<string, unknown> = {
  created: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, simd: simdFlags() },
  versions: versions(),
};
const log = (m: string) => process.stderr.write(`${m}\n`);
/** CPU-seconds of this process so far, all its threads. */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Timed passes over the clips after one untimed pass (JIT warm-up, worker start, wasm compile). */
const PASSES = 3;

async function featureBench() {
  // RAVDESS clips: 48 kHz, 3.75 s on average; every one decoded, resampled to 16 kHz and featurized.
  const { clips } = loadCorpus('ravdess', join(shared, 'ravdess'));
  const settings: FeatureSettings = { sample_rate: 16000, duration: 3, trim_db: 40, n_fft: 512, hop_length: 256, n_mels: 64, n_mfcc: 40 };
  const seconds = clips.reduce((a, c) => a + probeWav((c.source as { path: string }).path).frames / 48000, 0) / clips.length;
  const result: Record<string, unknown> = { clips: clips.length, passes: PASSES, mean_clip_seconds: +seconds.toFixed(2), settings };
  const cacheDir = mkdtempSync(join(tmpdir(), 'serbench-bench-cache-'));
  // The four-corpora suites' augmentation: every request a training copy with these ops drawn.
  const augment: AugmentOp[] = [
    { type: 'noise', snr_db: [10, 30] },
    { type: 'time_stretch', rate: [0.8, 1.25], p: 0.5 },
    { type: 'pitch_shift', semitones: [-2, 2], p: 0.3 },
    { type: 'spec_augment', time_masks: 2, time_width: 12, freq_masks: 2, freq_width: 8 },
  ];
  const runs: { kind: FeatureKind; workers: number; cache?: string; ops?: AugmentOp[] }[] = [
    { kind: 'egemaps', workers: 1 },
    { kind: 'logmel', workers: 1 },
    { kind: 'logmel', workers: cpus().length },
    { kind: 'summary', workers: 1 },
    { kind: 'summary', workers: cpus().length },
    // As in a run: every clip hashed and its features written to a (fresh) cache.
    { kind: 'logmel', workers: 1, cache: cacheDir },
    { kind: 'logmel', workers: 1, ops: augment },
  ];
  for (const { kind, workers, cache, ops } of runs) {
    const label = `${kind}${ops ? '_augmented_copy' : ''}_workers_${workers}${cache ? '_with_cache_writes' : ''}`;
    const what = `${kind}${ops ? ' of augmented training copies (four-corpora ops)' : ''}, ${workers} worker(s)${cache ? ', hashing and writing a fresh cache' : ''}`;
    // Each pass draws other augmentations (the seed), as the copies of a run would.
    const requests = (pass: number) => clips.map((clip) => ({ clip, kinds: [kind], settings, copy: ops ? 1 : 0, ops: ops ?? [], seed: pass }));
    const check = (_: number, r: PoolResult) => {
      if (r.error) throw new Error(r.error);
    };
    // With a cache only one pass can be timed (the next would be all hits); its warm-up pass
    // runs without the cache in this thread (one worker runs in the calling thread).
    const pool = new FeaturePool(workers, null);
    await pool.run(requests(-1), check);
    const timed = cache ? new FeaturePool(workers, cache) : pool;
    const passes = cache ? 1 : PASSES;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let p = 0; p < passes; p++) await timed.run(requests(p), check);
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await Promise.all([pool.close(), timed.close()]);
    result[`${label}_clips_per_second`] = +((passes * clips.length) / s).toFixed(1);
    // One worker runs in this thread, so this process's CPU time is the extraction's.
    if (workers === 1) result[`${label}_cpu_seconds_per_clip`] = +((cpu.user + cpu.system) / 1e6 / (passes * clips.length)).toFixed(4);
    log(`features ${what}: ${result[`${label}_clips_per_second`]} clips/s`);
  }
  rmSync(cacheDir, { recursive: true, force: true });
  // The yardstick of ../shared/reference/opensmile/README.md (measured there, not here).
  result.opensmile_egemaps_cpu_seconds_per_clip = {
    value: 0.12,
    clip_seconds: 3.5,
    note: "openSMILE 3.0.2's SMILExtract, process start and configuration included",
  };
  const py = spawnSync(
    '/usr/bin/python3',
    [join(here, 'librosa_like.py'), '16000', '512', '256', '64', String(PASSES), ...clips.map((c) => (c.source as { path: string }).path)],
    { encoding: 'utf8' },
  );
  if (py.status === 0) {
    result.numpy_librosa_equivalent_logmel = JSON.parse(py.stdout);
    log(`numpy/scipy stand-in for librosa load+melspectrogram: ${JSON.parse(py.stdout).clips_per_second.toFixed(1)} clips/s`);
  } else {
    result.numpy_librosa_equivalent_logmel = {
      skipped: `python3 with numpy and scipy not available: ${(py.stderr || String(py.error)).split('\n').slice(-2).join(' ')}`,
    };
  }
  out.features = result;
}

function randomBatch(n: number, shape: number[], k: number, seed: number): Batch {
  const rng = new Rng(seed);
  const d = shape.reduce((a, b) => a * b, 1);
  const y = Int32Array.from({ length: n }, () => rng.int(k));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = rng.normal() + (j % 7 === y[i] % 7 ? 0.8 : 0);
  return { n, sampleShape: shape, x, y };
}

async function modelBench() {
  const k = 8;
  const result: Record<string, unknown> = { backend: await tensorBackend() };
  const images = randomBatch(256, [64, 128], k, 1);
  for (const type of ['cnn', 'vit'] as const) {
    const params = { ...DEFAULT_PARAMS[type], epochs: 2, patience: 10, batch_size: 32 };
    const m = await createClassifier({ name: type, type, features: 'logmel', params } as never, k);
    const t0 = performance.now();
    const fit = await m.fit(images, undefined, { seed: 0 });
    const s = (performance.now() - t0) / 1000;
    result[`${type}_train_samples_per_second`] = +((images.n * (fit.epochs ?? 1)) / s).toFixed(1);
    result[`${type}_parameters`] = fit.parameters;
    log(`${type} (default params) on 64×128, batch 32: ${((images.n * (fit.epochs ?? 1)) / s).toFixed(1)} samples/s`);
  }
  for (const n of [2000, 12000]) {
    const table = randomBatch(n, [180], k, 2);
    for (const type of ['tree', 'svm'] as const) {
      const m = await createClassifier({ name: type, type, features: 'summary', params: { ...DEFAULT_PARAMS[type] } } as never, k);
      const t0 = performance.now();
      await m.fit(table, undefined, { seed: 0 });
      const s = (performance.now() - t0) / 1000;
      result[`${type}_fit_seconds_${n}x180`] = +s.toFixed(2);
      log(`${type} fit on ${n}×180 (8 classes): ${s.toFixed(2)} s`);
    }
  }
  out.models = result;
}

/** A python3 that imports torch (Debian's python3-torch lives in /usr/bin/python3), or null. */
function torchPython(): string | null {
  for (const py of [process.env.SERBENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[]) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

/**
 * Multiply-adds ×2 of a convolution or matrix-product kernel from its shapes (0 for others): a
 * convolution's is 2 · |forward output| · kh · kw · ci for the forward and both gradients; a
 * product's 2 · |out| · k, k from |a|·|b| = batch · k² · |out| / batch.
 */
function productFlop(name: string, inputs: number[][], outputs: number[][]): number {
  const size = (s: number[] | undefined) => (s ?? []).reduce((a, b) => a * b, 1);
  if (name === 'Conv2D' || name === 'FusedConv2D') {
    const [kh, kw, ci] = inputs[1];
    return 2 * size(outputs[0]) * kh * kw * ci;
  }
  if (name === 'Conv2DBackpropInput') {
    const [kh, kw, ci] = inputs[1]; // (dy, filter)
    return 2 * size(inputs[0]) * kh * kw * ci;
  }
  if (name === 'Conv2DBackpropFilter') {
    const [kh, kw, ci] = outputs[0]; // (x, dy) → dW
    return 2 * size(inputs[1]) * kh * kw * ci;
  }
  if (name === 'BatchMatMul' || name === '_FusedMatMul' || name === 'MatMul') {
    const out = outputs[0];
    const batch = size(out.slice(0, -2));
    const k = Math.sqrt((size(inputs[0]) * size(inputs[1])) / size(out) / batch);
    return 2 * size(out) * k;
  }
  return 0;
}

/**
 * Where a training step's time goes: tfjs's profiler times every kernel of one epoch; kernels
 * are summed by name, and what no kernel accounts for (staging batches into tensors, tfjs's
 * bookkeeping, JavaScript between kernels) is its own line.
 */
async function profileEpoch(type: 'cnn' | 'vit', images: Batch, k: number): Promise<Record<string, unknown>> {
  const tf = await import('@tensorflow/tfjs');
  const params = { ...DEFAULT_PARAMS[type], epochs: 1, patience: 100, batch_size: 32 };
  const m = await createClassifier({ name: type, type, features: 'logmel', params } as never, k);
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await m.fit(images, undefined, { seed: 0 });
  });
  const wall = performance.now() - t0;
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const kern of info.kernels) {
    // "x__op" entries are ops wrapping kernels that are listed too: counting both would count twice.
    if (kern.name.endsWith('__op')) continue;
    const e = byName.get(kern.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof kern.kernelTimeMs === 'number' ? kern.kernelTimeMs : 0;
    e.calls++;
    byName.set(kern.name, e);
  }
  const inKernels = [...byName.values()].reduce((a, e) => a + e.ms, 0);
  const flop = info.kernels.reduce((a, kern) => a + productFlop(kern.name, kern.inputShapes as number[][], kern.outputShapes as number[][]), 0);
  const rows = [...byName].map(([kernel, e]) => ({ kernel, ms: +e.ms.toFixed(1), calls: e.calls, share: +(e.ms / wall).toFixed(3) }));
  rows.push({
    kernel: '(outside kernels: batch staging, tfjs bookkeeping, JavaScript)',
    ms: +(wall - inKernels).toFixed(1),
    calls: 0,
    share: +((wall - inKernels) / wall).toFixed(3),
  });
  rows.sort((a, b) => b.ms - a.ms);
  return {
    samples: images.n,
    // Convolutions and matrix products of forward and backward (element-wise work left out).
    gemm_gflop_per_sample: +(flop / images.n / 1e9).toFixed(4),
    profiled_wall_ms: +wall.toFixed(0),
    note: 'one epoch under tf.profile (its timing adds overhead); shares of that wall time',
    kernels: rows.slice(0, 25),
  };
}

/**
 * The default CNN and ViT against PyTorch on the same network, input and batch, in one
 * command: training samples/s (forward, backward, Adam) over whole epochs after a warm-up, and
 * the ratio. PyTorch runs ../shared/bench/torch_cnn.py when a python3 with torch is present.
 */
async function cnnBench() {
  const k = 8,
    [H, W] = [64, 188],
    n = 256,
    epochs = 2;
  const cores = cpus().length;
  const images = randomBatch(n, [H, W], k, 1);
  const result: Record<string, unknown> = {
    backend: await tensorBackend(),
    // Which build of our network kernels ran: relaxed SIMD (fused multiply-add) where the engine has it.
    network_kernels: networkKernelBuild(),
    node: process.version,
    input: [H, W],
    batch: 32,
    classes: k,
    samples_per_epoch: n,
    timed_epochs: epochs,
    note: 'one job on N cores: a team of N threads over each batch (models/training-team.ts); timed over whole epochs after one untimed warm-up epoch, as the PyTorch scripts',
  };
  const serbench: Record<string, number> = {};
  const teamSizes = [...new Set([1, cores])];
  /** A figure's key: `name` on one core, `name_N_cores` on N. */
  const onCores = (name: string, threads: number) => (threads > 1 ? `${name}_${threads}_cores` : name);
  for (const type of ['cnn', 'vit'] as const) {
    for (const threads of teamSizes) {
      const params = { ...DEFAULT_PARAMS[type], epochs: 1 + epochs, patience: 100, batch_size: 32 };
      const m = await createClassifier({ name: type, type, features: 'logmel', params } as never, k);
      // From the end of the warm-up epoch (wasm compilation, JIT, starting the team's threads).
      const ends: number[] = [],
        cpu: number[] = [];
      await m.fit(images, undefined, {
        seed: 0,
        threads,
        onEpoch: () => {
          ends.push(performance.now());
          cpu.push(cpuSeconds()); // the process's, its training threads included
        },
      });
      const sps = (n * (ends.length - 1)) / ((ends.at(-1)! - ends[0]) / 1000);
      const perCpu = (n * (ends.length - 1)) / (cpu.at(-1)! - cpu[0]);
      serbench[onCores(`${type}_samples_per_s`, threads)] = +sps.toFixed(1);
      serbench[onCores(`${type}_samples_per_cpu_s`, threads)] = +perCpu.toFixed(1);
      log(
        `serbench ${type} (default params) ${H}×${W}, batch 32, one job on ${threads} core(s): ${sps.toFixed(1)} samples per wall-second, ${perCpu.toFixed(1)} per CPU-second`,
      );
    }
  }
  // suites/four-corpora.yaml's larger CNN at its full size: 12,320 clips (the Kaggle download),
  // 80% training, two augmented copies each = 29,568 samples an epoch.
  for (const threads of teamSizes) {
    const params = { ...DEFAULT_PARAMS.cnn, filters: [32, 64, 128], dense: 128, epochs: 2, patience: 100, batch_size: 32 };
    const m = await createClassifier({ name: 'cnn', type: 'cnn', features: 'logmel', params } as never, 7);
    const ends: number[] = [];
    await m.fit(randomBatch(128, [H, W], 7, 4), undefined, { seed: 0, threads, onEpoch: () => ends.push(performance.now()) });
    const sps = 128 / ((ends[1] - ends[0]) / 1000);
    serbench[onCores('four_corpora_cnn_samples_per_s', threads)] = +sps.toFixed(1);
    serbench[onCores('four_corpora_cnn_epoch_minutes_full_size', threads)] = +(29568 / sps / 60).toFixed(1);
    log(
      `four-corpora CNN (filters 32-64-128, dense 128), ${threads} core(s): ${sps.toFixed(1)} samples/s → ${(29568 / sps / 60).toFixed(1)} min an epoch at full size (29,568 samples)`,
    );
  }
  result.serbench = serbench;
  const py = torchPython();
  const threads = [...new Set([1, cores])].join(',');
  const common = [
    '--threads',
    threads,
    '--n',
    String(n),
    '--mels',
    String(H),
    '--frames',
    String(W),
    '--classes',
    String(k),
    '--batch',
    '32',
    '--epochs',
    String(epochs),
  ];
  // The CNN's yardstick is the shared script; the ViT's is our PyTorch copy of models/vit.ts.
  const references = {
    cnn: { script: resolve(root, '../shared/bench/torch_cnn.py'), args: ['--filters', DEFAULT_PARAMS.cnn.filters.join(',')] },
    vit: { script: join(here, 'torch_vit.py'), args: [] as string[] },
  };
  const pytorch: Record<string, unknown> = {};
  const ratios: Record<string, number> = {};
  for (const [type, ref] of Object.entries(references) as [keyof typeof references, (typeof references)['cnn']][]) {
    if (!py) pytorch[type] = { skipped: 'no python3 with torch (apt-get install -y python3-torch)' };
    else if (!existsSync(ref.script)) pytorch[type] = { skipped: `${ref.script} not found` };
    else {
      const args = [ref.script, ...common, ...ref.args];
      const r = spawnSync(py, args, { encoding: 'utf8' });
      if (r.status !== 0) pytorch[type] = { failed: r.stderr.trim().split('\n').slice(-1)[0] };
      else {
        const lines = r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { threads: number; samples_per_s: number; torch: string; samples: number; cpu_s: number });
        pytorch[type] = { torch: lines[0]?.torch, command: `${py} ${args.map((x) => x.replace(root + '/', '')).join(' ')}`, runs: lines };
        for (const l of lines) {
          const ours = serbench[onCores(`${type}_samples_per_s`, l.threads)];
          const oursCpu = serbench[onCores(`${type}_samples_per_cpu_s`, l.threads)];
          if (ours === undefined) continue;
          // PyTorch's "1 thread" keeps more than one core busy: per CPU-second is the fair figure there.
          const theirsCpu = l.samples / l.cpu_s;
          const key = `${type}_vs_pytorch_${l.threads}_thread${l.threads > 1 ? 's' : ''}`;
          ratios[key] = +(ours / l.samples_per_s).toFixed(2);
          ratios[`${key}_per_cpu_s`] = +(oursCpu / theirsCpu).toFixed(2);
          log(
            `PyTorch ${l.torch} ${type.toUpperCase()}, ${l.threads} thread(s): ${l.samples_per_s} samples per wall-second, ${theirsCpu.toFixed(1)} per CPU-second → serbench/PyTorch ${(ours / l.samples_per_s).toFixed(2)} (wall), ${(oursCpu / theirsCpu).toFixed(2)} (CPU)`,
          );
        }
      }
    }
  }
  result.pytorch = pytorch;
  result.ratios = ratios;
  result.profile = { cnn: await profileEpoch('cnn', randomBatch(128, [H, W], k, 3), k), vit: await profileEpoch('vit', randomBatch(128, [H, W], k, 3), k) };
  const gflops: Record<string, number> = {};
  for (const type of ['cnn', 'vit'] as const) {
    const profile = (result.profile as Record<string, { kernels: { kernel: string; share: number }[]; gemm_gflop_per_sample: number }>)[type];
    log(
      `${type} epoch profile: ${profile.kernels
        .slice(0, 6)
        .map((r) => `${r.kernel} ${(100 * r.share).toFixed(0)}%`)
        .join(', ')}`,
    );
    // Achieved rate of a training step's convolutions and products (what the machine's limit bounds).
    for (const threads of teamSizes) {
      const perCore = profile.gemm_gflop_per_sample * serbench[onCores(`${type}_samples_per_cpu_s`, threads)] || 0;
      gflops[onCores(`${type}_gemm_gflop_per_cpu_s`, threads)] = +perCore.toFixed(1);
    }
    log(
      `${type}: ${profile.gemm_gflop_per_sample} GFLOP of convolutions and products per sample → ${gflops[onCores(`${type}_gemm_gflop_per_cpu_s`, 1)]} GFLOP per CPU-second on one core`,
    );
  }
  result.gflops = gflops;
  out.cnn = result;
}

/**
 * The SVM against scikit-learn on one matrix, in one command (#12): 3,775 training rows × 150
 * features (the four-corpora suite's training-set size), 944 test rows, 8 overlapping classes;
 * RBF, C = 10, gamma = 1/d on standardized inputs, Platt probabilities. CPU seconds of fit and
 * of predicting probabilities on each side, their ratio, the support vector counts and how often
 * the two predict the same class. scikit-learn runs harness/bench/sklearn_svm.py through
 * /usr/bin/python3 (Debian's python3-sklearn) when present.
 */
async function svmBench() {
  const [n, m, d, k] = [3775, 944, 150, 8];
  const rng = new Rng('svm-bench');
  const make = (rows: number): Batch => {
    const y = Int32Array.from({ length: rows }, () => rng.int(k));
    const x = new Float32Array(rows * d);
    for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) x[i * d + j] = rng.normal() + (j % 11 === y[i] ? 1.2 : 0) + (j % 13 === y[i] ? 0.6 : 0);
    return { n: rows, sampleShape: [d], x, y };
  };
  const [train, test] = [make(n), make(m)];

  const params = { ...DEFAULT_PARAMS.svm, kernel: 'rbf', C: 10, gamma: 'scale' };
  const model = await createClassifier({ name: 'svm', type: 'svm', features: 'summary', params } as never, k);
  const c0 = cpuSeconds();
  const fit = await model.fit(train, undefined, { seed: 0 });
  const c1 = cpuSeconds();
  const proba = await model.predictProba(test);
  const c2 = cpuSeconds();
  const ours = {
    fit_cpu_seconds: +(c1 - c0).toFixed(2),
    predict_cpu_seconds: +(c2 - c1).toFixed(2),
    support_vectors: Number(/(\d+) support vectors/.exec(fit.notes?.join(' ') ?? '')?.[1]),
  };
  const result: Record<string, unknown> = { rows: { train: n, test: m }, features: d, classes: k, C: 10, gamma: 1 / d, serbench: ours };
  log(`serbench SVM (libsvm port) ${n}×${d}: fit ${ours.fit_cpu_seconds} s, predict ${m} rows ${ours.predict_cpu_seconds} s (CPU)`);
  const file = join(mkdtempSync(join(tmpdir(), 'serbench-svm-bench-')), 'matrix.f64');
  const raw = new Float64Array(3 + (n + m) * d + n);
  raw.set([n, m, d]);
  raw.set(train.x as Float32Array, 3);
  raw.set(test.x as Float32Array, 3 + n * d);
  raw.set(train.y!, 3 + (n + m) * d);
  writeFileSync(file, Buffer.from(raw.buffer));
  const py = spawnSync('/usr/bin/python3', [join(here, 'sklearn_svm.py'), file, '10', String(1 / d)], { encoding: 'utf8' });
  rmSync(dirname(file), { recursive: true, force: true });
  if (py.status !== 0)
    result.sklearn = { skipped: `python3 with scikit-learn not available (apt-get install -y python3-sklearn): ${py.stderr.trim().split('\n').slice(-1)[0]}` };
  else {
    const sk = JSON.parse(py.stdout) as { sklearn: string; fit_cpu_seconds: number; predict_cpu_seconds: number; support_vectors: number; predicted: number[] };
    let same = 0;
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (proba[i * k + c] > proba[i * k + best]) best = c;
      if (best === sk.predicted[i]) same++;
    }
    const total = (ours.fit_cpu_seconds + ours.predict_cpu_seconds) / (sk.fit_cpu_seconds + sk.predict_cpu_seconds);
    result.sklearn = {
      version: sk.sklearn,
      fit_cpu_seconds: +sk.fit_cpu_seconds.toFixed(2),
      predict_cpu_seconds: +sk.predict_cpu_seconds.toFixed(2),
      support_vectors: sk.support_vectors,
    };
    result.ratios = {
      fit: +(ours.fit_cpu_seconds / sk.fit_cpu_seconds).toFixed(2),
      predict: +(ours.predict_cpu_seconds / sk.predict_cpu_seconds).toFixed(2),
      fit_and_predict: +total.toFixed(2),
    };
    result.same_predicted_class = +(same / m).toFixed(4);
    log(
      `scikit-learn ${sk.sklearn} SVC: fit ${sk.fit_cpu_seconds.toFixed(2)} s, predict ${sk.predict_cpu_seconds.toFixed(2)} s → serbench/scikit-learn ${total.toFixed(2)} (fit + predict, CPU); same class for ${same}/${m} test rows; support vectors ${ours.support_vectors} vs ${sk.support_vectors}`,
    );
  }
  out.svm = result;
}

/** Resident memory of a process and all its descendants (job processes, feature threads), in MB. */
function treeRssMb(root: number): number {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // the process ended while we looked
    }
  }
  let kb = 0;
  const visit = (pid: number) => {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // ended
    }
    for (const c of children.get(pid) ?? []) visit(c);
  };
  visit(root);
  return kb / 1024;
}

/**
 * The 12,000-clip suite end to end in a child process tree (so that its memory is its own,
 * sampled every 0.5 s over all its processes), and a quarter-size version of it: peak memory
 * should not grow with the clip count.
 */
async function scaleBench() {
  const { parseSuite } = await import('../suite.ts');
  const { spawn } = await import('node:child_process');
  const text = readFileSync(join(root, 'suites', 'scale-12k.yaml'), 'utf8');
  const result: Record<string, unknown> = {};
  for (const [label, clipsPerEmotion] of [
    ['quarter', 5],
    ['full', 20],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-scale-'));
    const suiteFile = join(dir, 'suite.yaml');
    writeFileSync(suiteFile, text.replace('clips_per_emotion: 20', `clips_per_emotion: ${clipsPerEmotion}`));
    const clips = parseSuite(readFileSync(suiteFile, 'utf8'), suiteFile).datasets[0].synthetic!;
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(root, 'bin', 'serbench.js'), 'run', suiteFile, '--out', join(dir, 'run'), '--no-cache', '--quiet'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, treeRssMb(child.pid!))), 500);
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    clearInterval(sampler);
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`scale run failed: ${stderr}`);
    const shards = readdirSync(join(dir, 'run', 'shards')).map(
      (f) => JSON.parse(readFileSync(join(dir, 'run', 'shards', f), 'utf8')) as { peak_rss_mb: number },
    );
    const stages = readFileSync(join(dir, 'run', 'run.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.slice(25));
    result[label] = {
      clips: 2 * (clips.speakers_per_corpus ?? 0) * 7 * clipsPerEmotion,
      wall_seconds: +seconds.toFixed(1),
      peak_rss_mb_all_processes: Math.round(peak),
      peak_rss_mb_per_process: shards.map((s) => Math.round(s.peak_rss_mb)),
      stages,
    };
    rmSync(dir, { recursive: true, force: true });
    log(`scale ${label}: ${seconds.toFixed(0)} s, peak RSS ${peak.toFixed(0)} MB (all processes)`);
  }
  out.scale = result;
}

if (want('features')) await featureBench();
if (want('models')) await modelBench();
if (sections.includes('cnn')) await cnnBench(); // a minute or two, and PyTorch: only when asked for
if (sections.includes('svm')) await svmBench(); // a minute, and scikit-learn: only when asked for
if (sections.includes('scale')) await scaleBench(); // minutes: only when asked for
const dir = join(root, 'bench-results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `bench-${(out.created as string).replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
log(`written to ${file}`);
