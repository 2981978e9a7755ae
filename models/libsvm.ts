/**
 * libsvm 3.22's C-SVC, ported from svm.cpp (BSD-3, Chang and Lin) to give the models libsvm
 * gives: one-vs-one pairs in the order of first appearance of the labels, class weights on C,
 * Platt probabilities fitted on libsvm's 5-fold internal cross-validation (folds drawn with the
 * C library's rand(), as the libsvm-js build we used before draws them: musl's generator,
 * starting from its default seed at each fit), Wu–Lin–Weng pairwise coupling for k > 2.
 *
 * Unlike libsvm, one Gram matrix serves every pair and fold of a fit (svm-kernel.ts), or, when
 * that would not fit in memory, one per pair serves the pair's solve and its probability folds;
 * the values are the ones libsvm computes, so the solver takes the same steps.
 */
import { solveCSvc } from './libsvm-solver.ts';
import { GramKernel, predictionKernel, type KernelType } from './svm-kernel.ts';

export interface LibsvmParameter {
  kernel: KernelType;
  gamma: number;
  C: number;
  /** C multiplied by weight[label] for that label's rows (libsvm -wi). */
  weights?: Map<number, number>;
  probability: boolean;
  /** Stopping tolerance (libsvm -e, default 1e-3). */
  eps?: number;
  shrinking?: boolean;
  /** Kernel column cache when the Gram matrix does not fit (libsvm -m, MB). */
  cacheMb?: number;
  /** The training rows' kernel for this gamma, when the caller shares it between fits. */
  gram?: GramKernel;
}

/** A trained model, the fields of libsvm's svm_model (SVs stored by value). */
export interface LibsvmModel {
  kernel: KernelType;
  gamma: number;
  d: number;
  /** Labels in libsvm's internal order; nSV support vectors of each, consecutively. */
  labels: number[];
  nSV: number[];
  /** Support vectors, total × d. */
  sv: Float64Array;
  /** Row of each support vector in the training matrix. */
  svIndices: Int32Array;
  /** k − 1 coefficient rows of `total` values (libsvm's sv_coef layout). */
  coef: Float64Array[];
  /** One per pair (i, j), i < j, in order. */
  rho: Float64Array;
  probA?: Float64Array;
  probB?: Float64Array;
}

/** musl's rand(), which libsvm's fold shuffle calls: a 64-bit LCG, returning its top 31 bits. */
class CRand {
  private seed = 0n;
  next(): number {
    this.seed = (6364136223846793005n * this.seed + 1n) & 0xffffffffffffffffn;
    return Number(this.seed >> 33n);
  }
}

interface Training {
  x: Float64Array;
  d: number;
  kernel: GramKernel;
  rand: CRand;
  opts: { eps: number; shrinking: boolean; cacheBytes: number };
}

/** svm_group_classes: labels by first appearance (−1/+1 swapped to +1 first), rows grouped. */
function groupClasses(y: ArrayLike<number>) {
  const l = y.length;
  const label: number[] = [],
    count: number[] = [];
  const dataLabel = new Int32Array(l);
  for (let i = 0; i < l; i++) {
    const v = Math.trunc(y[i]);
    let j = label.indexOf(v);
    if (j < 0) {
      j = label.length;
      label.push(v);
      count.push(0);
    }
    count[j]++;
    dataLabel[i] = j;
  }
  if (label.length === 2 && label[0] === -1 && label[1] === 1) {
    label.reverse();
    count.reverse();
    for (let i = 0; i < l; i++) dataLabel[i] = 1 - dataLabel[i];
  }
  const start = [0];
  for (let c = 1; c < label.length; c++) start.push(start[c - 1] + count[c - 1]);
  const perm = new Int32Array(l);
  const next = start.slice();
  for (let i = 0; i < l; i++) perm[next[dataLabel[i]]++] = i;
  return { label, count, start, perm };
}

/** svm_train for C-SVC over training-matrix rows `rows` with labels `y` (one per row). */
function train(t: Training, rows: Int32Array, y: ArrayLike<number>, p: LibsvmParameter): LibsvmModel {
  const { label, count, start, perm } = groupClasses(y);
  const k = label.length;
  const x = Int32Array.from(perm, (i) => rows[i]);
  const weightedC = label.map((c) => p.C * (p.weights?.get(c) ?? 1));
  const nonzero = new Uint8Array(x.length);
  const f: { alpha: Float64Array; rho: number }[] = [];
  const probA = new Float64Array((k * (k - 1)) / 2),
    probB = new Float64Array((k * (k - 1)) / 2);
  for (let i = 0, q = 0; i < k; i++)
    for (let j = i + 1; j < k; j++, q++) {
      const [si, sj, ci, cj] = [start[i], start[j], count[i], count[j]];
      const sub = new Int32Array(ci + cj);
      sub.set(x.subarray(si, si + ci));
      sub.set(x.subarray(sj, sj + cj), ci);
      const positive = new Uint8Array(ci + cj);
      positive.fill(1, 0, ci);
      // Without the Gram matrix of all rows, the pair's own (when it fits) serves its solve and
      // its five probability folds.
      const pair = t.kernel.hasGram || !GramKernel.fits(sub.length, t.kernel.budgetBytes) ? { t, rows: sub } : pairTraining(t, sub);
      if (p.probability) [probA[q], probB[q]] = binaryProbability(pair.t, pair.rows, positive, weightedC[i], weightedC[j], p);
      const solved = solveCSvc(pair.t.kernel, pair.rows, positive, weightedC[i], weightedC[j], t.opts);
      f.push(solved);
      for (let r = 0; r < ci; r++) if (Math.abs(solved.alpha[r]) > 0) nonzero[si + r] = 1;
      for (let r = 0; r < cj; r++) if (Math.abs(solved.alpha[ci + r]) > 0) nonzero[sj + r] = 1;
    }
  const nSV = label.map((_, c) => {
    let s = 0;
    for (let r = 0; r < count[c]; r++) s += nonzero[start[c] + r];
    return s;
  });
  const total = nSV.reduce((a, b) => a + b, 0);
  const svIndices = new Int32Array(total);
  const sv = new Float64Array(total * t.d);
  for (let i = 0, s = 0; i < x.length; i++)
    if (nonzero[i]) {
      svIndices[s] = x[i];
      sv.set(t.x.subarray(x[i] * t.d, (x[i] + 1) * t.d), s * t.d);
      s++;
    }
  const nzStart = [0];
  for (let c = 1; c < k; c++) nzStart.push(nzStart[c - 1] + nSV[c - 1]);
  const coef = Array.from({ length: Math.max(0, k - 1) }, () => new Float64Array(total));
  for (let i = 0, q = 0; i < k; i++)
    for (let j = i + 1; j < k; j++, q++) {
      let o = nzStart[i];
      for (let r = 0; r < count[i]; r++) if (nonzero[start[i] + r]) coef[j - 1][o++] = f[q].alpha[r];
      o = nzStart[j];
      for (let r = 0; r < count[j]; r++) if (nonzero[start[j] + r]) coef[i][o++] = f[q].alpha[count[i] + r];
    }
  return {
    kernel: p.kernel,
    gamma: p.gamma,
    d: t.d,
    labels: label,
    nSV,
    sv,
    svIndices,
    coef,
    rho: Float64Array.from(f, (r) => r.rho),
    ...(p.probability ? { probA, probB } : {}),
  };
}

/** The pair's rows as a training matrix of their own (rows 0…m−1), with their Gram matrix. */
function pairTraining(t: Training, rows: Int32Array): { t: Training; rows: Int32Array } {
  const x = gatherRows(t.x, t.d, rows);
  const kernel = new GramKernel(x, rows.length, t.d, t.kernel.type, t.kernel.gamma, t.kernel.budgetBytes);
  return { t: { ...t, x, kernel }, rows: Int32Array.from(rows, (_, i) => i) };
}

/** svm_binary_svc_probability: decision values from 5-fold CV, then Platt's sigmoid on them. */
function binaryProbability(t: Training, rows: Int32Array, positive: Uint8Array, Cp: number, Cn: number, p: LibsvmParameter): [number, number] {
  const l = rows.length,
    folds = 5;
  const perm = Int32Array.from({ length: l }, (_, i) => i);
  for (let i = 0; i < l; i++) {
    const j = i + (t.rand.next() % (l - i));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const dec = new Float64Array(l);
  for (let fold = 0; fold < folds; fold++) {
    const begin = Math.floor((fold * l) / folds),
      end = Math.floor(((fold + 1) * l) / folds);
    const subRows = new Int32Array(l - (end - begin));
    const subY = new Float64Array(l - (end - begin));
    let c = 0,
      pos = 0;
    // The rows outside the held-out fold, in shuffled order.
    for (let j = 0; j < l; j++) {
      if (j === begin) j = end;
      if (j >= l) break;
      subRows[c] = rows[perm[j]];
      subY[c] = positive[perm[j]] ? 1 : -1;
      pos += positive[perm[j]];
      c++;
    }
    const neg = c - pos;
    if (pos === 0 || neg === 0) {
      for (let j = begin; j < end; j++) dec[perm[j]] = pos === 0 && neg === 0 ? 0 : pos > 0 ? 1 : -1;
      continue;
    }
    const sub = train(t, subRows, subY, {
      ...p,
      probability: false,
      C: 1.0,
      weights: new Map([
        [1, Cp],
        [-1, Cn],
      ]),
    });
    const held = new Int32Array(end - begin);
    for (let j = begin; j < end; j++) held[j - begin] = rows[perm[j]];
    const values = decisionValues(sub, gatherRows(t.x, t.d, held), held.length);
    // libsvm multiplies by the submodel's first label to put +1 first (it always is here).
    for (let j = begin; j < end; j++) dec[perm[j]] = values[j - begin] * sub.labels[0];
  }
  return sigmoidTrain(
    dec,
    Float64Array.from(positive, (v) => (v ? 1 : -1)),
  );
}

function gatherRows(x: Float64Array, d: number, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(x.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
  return out;
}

/** Platt's sigmoid fit by Newton's method with backtracking (Lin, Lin and Weng 2007). */
function sigmoidTrain(dec: Float64Array, labels: Float64Array): [number, number] {
  const l = dec.length;
  let prior1 = 0,
    prior0 = 0;
  for (let i = 0; i < l; i++)
    if (labels[i] > 0) prior1 += 1;
    else prior0 += 1;
  const maxIter = 100,
    minStep = 1e-10,
    sigma = 1e-12,
    eps = 1e-5;
  const hiTarget = (prior1 + 1.0) / (prior1 + 2.0),
    loTarget = 1 / (prior0 + 2.0);
  const t = new Float64Array(l);
  let A = 0.0,
    B = Math.log((prior0 + 1.0) / (prior1 + 1.0));
  let fval = 0.0;
  for (let i = 0; i < l; i++) {
    t[i] = labels[i] > 0 ? hiTarget : loTarget;
    const fApB = dec[i] * A + B;
    if (fApB >= 0) fval += t[i] * fApB + Math.log(1 + Math.exp(-fApB));
    else fval += (t[i] - 1) * fApB + Math.log(1 + Math.exp(fApB));
  }
  for (let iter = 0; iter < maxIter; iter++) {
    let h11 = sigma,
      h22 = sigma,
      h21 = 0.0,
      g1 = 0.0,
      g2 = 0.0;
    for (let i = 0; i < l; i++) {
      const fApB = dec[i] * A + B;
      let p: number, q: number;
      if (fApB >= 0) {
        p = Math.exp(-fApB) / (1.0 + Math.exp(-fApB));
        q = 1.0 / (1.0 + Math.exp(-fApB));
      } else {
        p = 1.0 / (1.0 + Math.exp(fApB));
        q = Math.exp(fApB) / (1.0 + Math.exp(fApB));
      }
      const d2 = p * q;
      h11 += dec[i] * dec[i] * d2;
      h22 += d2;
      h21 += dec[i] * d2;
      const d1 = t[i] - p;
      g1 += dec[i] * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < eps && Math.abs(g2) < eps) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det,
      dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let stepsize = 1;
    while (stepsize >= minStep) {
      const newA = A + stepsize * dA,
        newB = B + stepsize * dB;
      let newf = 0.0;
      for (let i = 0; i < l; i++) {
        const fApB = dec[i] * newA + newB;
        if (fApB >= 0) newf += t[i] * fApB + Math.log(1 + Math.exp(-fApB));
        else newf += (t[i] - 1) * fApB + Math.log(1 + Math.exp(fApB));
      }
      if (newf < fval + 0.0001 * stepsize * gd) {
        A = newA;
        B = newB;
        fval = newf;
        break;
      }
      stepsize = stepsize / 2.0;
    }
    if (stepsize < minStep) break;
  }
  return [A, B];
}

function sigmoidPredict(decision: number, A: number, B: number): number {
  const fApB = decision * A + B;
  return fApB >= 0 ? Math.exp(-fApB) / (1.0 + Math.exp(-fApB)) : 1.0 / (1 + Math.exp(fApB));
}

/** Pairwise coupling, method 2 of Wu, Lin and Weng (2004): r[i][j] = P(i | i or j). */
function multiclassProbability(k: number, r: Float64Array[], p: Float64Array): void {
  const maxIter = Math.max(100, k),
    eps = 0.005 / k;
  const Q = Array.from({ length: k }, () => new Float64Array(k));
  const Qp = new Float64Array(k);
  for (let t = 0; t < k; t++) {
    p[t] = 1.0 / k;
    Q[t][t] = 0;
    for (let j = 0; j < t; j++) {
      Q[t][t] += r[j][t] * r[j][t];
      Q[t][j] = Q[j][t];
    }
    for (let j = t + 1; j < k; j++) {
      Q[t][t] += r[j][t] * r[j][t];
      Q[t][j] = -r[j][t] * r[t][j];
    }
  }
  for (let iter = 0; iter < maxIter; iter++) {
    let pQp = 0;
    for (let t = 0; t < k; t++) {
      Qp[t] = 0;
      for (let j = 0; j < k; j++) Qp[t] += Q[t][j] * p[j];
      pQp += p[t] * Qp[t];
    }
    let maxError = 0;
    for (let t = 0; t < k; t++) maxError = Math.max(maxError, Math.abs(Qp[t] - pQp));
    if (maxError < eps) break;
    for (let t = 0; t < k; t++) {
      const diff = (-Qp[t] + pQp) / Q[t][t];
      p[t] += diff;
      pQp = (pQp + diff * (diff * Q[t][t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
      for (let j = 0; j < k; j++) {
        Qp[j] = (Qp[j] + diff * Q[t][j]) / (1 + diff);
        p[j] /= 1 + diff;
      }
    }
  }
}

/**
 * svm_predict_values for m rows (m × d): the k(k−1)/2 decision values of each row, row-major
 * (one per row for a binary model).
 */
export function decisionValues(model: LibsvmModel, x: Float64Array, m: number): Float64Array {
  const k = model.labels.length,
    pairs = (k * (k - 1)) / 2,
    total = model.svIndices.length;
  const start = [0];
  for (let c = 1; c < k; c++) start.push(start[c - 1] + model.nSV[c - 1]);
  const out = new Float64Array(m * pairs);
  predictionKernel(model.kernel, model.gamma, x, m, model.sv, total, model.d, (first, rows, kv) => {
    for (let r = 0; r < rows; r++) {
      const o = r * total;
      for (let i = 0, q = 0; i < k; i++)
        for (let j = i + 1; j < k; j++, q++) {
          let sum = 0;
          const c1 = model.coef[j - 1],
            c2 = model.coef[i];
          for (let s = start[i], e = start[i] + model.nSV[i]; s < e; s++) sum += c1[s] * kv[o + s];
          for (let s = start[j], e = start[j] + model.nSV[j]; s < e; s++) sum += c2[s] * kv[o + s];
          out[(first + r) * pairs + q] = sum - model.rho[q];
        }
    }
  });
  return out;
}

/** svm_predict_probability for m rows: probabilities of model.labels in that order, m × k. */
export function predictProbability(model: LibsvmModel, x: Float64Array, m: number): Float64Array {
  if (!model.probA || !model.probB) throw new Error('libsvm: the model was trained without probabilities');
  const k = model.labels.length,
    pairs = (k * (k - 1)) / 2;
  const dec = decisionValues(model, x, m);
  const out = new Float64Array(m * k);
  const minProb = 1e-7;
  const r = Array.from({ length: k }, () => new Float64Array(k));
  const p = new Float64Array(k);
  for (let row = 0; row < m; row++) {
    for (let i = 0, q = 0; i < k; i++)
      for (let j = i + 1; j < k; j++, q++) {
        r[i][j] = Math.min(Math.max(sigmoidPredict(dec[row * pairs + q], model.probA[q], model.probB[q]), minProb), 1 - minProb);
        r[j][i] = 1 - r[i][j];
      }
    if (k === 1) p[0] = 1;
    else if (k === 2) [p[0], p[1]] = [r[0][1], r[1][0]];
    else multiclassProbability(k, r, p);
    out.set(p, row * k);
  }
  return out;
}

/** svm_train with libsvm's defaults (-e 0.001 -h 1 -m 100), on x (n × d) and labels y. */
export function trainLibsvm(x: Float64Array, n: number, d: number, y: ArrayLike<number>, p: LibsvmParameter): LibsvmModel {
  const cacheBytes = (p.cacheMb ?? 100) * 2 ** 20;
  const t: Training = {
    x,
    d,
    kernel: p.gram ?? new GramKernel(x, n, d, p.kernel, p.gamma),
    rand: new CRand(),
    opts: { eps: p.eps ?? 1e-3, shrinking: p.shrinking ?? true, cacheBytes },
  };
  return train(
    t,
    Int32Array.from({ length: n }, (_, i) => i),
    y,
    p,
  );
}
