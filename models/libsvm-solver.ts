/**
 * libsvm 3.22's SMO solver for C-SVC (Fan, Chen and Lin, JMLR 6, 2005: second-order working set
 * selection, shrinking, and the LRU kernel column cache), ported line by line from svm.cpp
 * (BSD-3, Chih-Chung Chang and Chih-Jen Lin) so that it takes the same steps in the same float
 * arithmetic: Q columns are float32 (libsvm's Qfloat), everything else double, sums in libsvm's
 * order. models/libsvm.ts builds the multiclass model and Platt's probabilities on top.
 */

/** Kernel values of the training rows, as libsvm's Kernel class computes them (see svm-kernel.ts). */
export interface TrainingKernel {
  /** K(row a, row b) rounded to float32, for rows of the training matrix. */
  fill(a: number, rows: Int32Array, from: number, to: number, out: Float32Array, signs: Int8Array, sign: number): void;
  /** K(row a, row a) in double (libsvm's QD). */
  diagonal(a: number): number;
}

const TAU = 1e-12;
const LOWER_BOUND = 0,
  UPPER_BOUND = 1,
  FREE = 2;

/**
 * libsvm's Cache: columns of Q held in an LRU list under a size limit (in floats); a column is
 * filled only as far as it was asked for, and swapping two indices swaps their entries in every
 * cached column (or drops a column too short to hold both).
 */
class ColumnCache {
  private readonly data: (Float32Array | null)[];
  private readonly len: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private size: number;

  constructor(
    private readonly l: number,
    bytes: number,
  ) {
    this.data = new Array(l).fill(null);
    this.len = new Int32Array(l);
    // Entry l is the list head (libsvm's lru_head).
    this.prev = new Int32Array(l + 1).fill(l);
    this.next = new Int32Array(l + 1).fill(l);
    // libsvm counts its head_t array (24 bytes on 64-bit, 12 in wasm32) against the limit; the
    // limit only changes speed, never a value.
    this.size = Math.max(Math.floor(bytes / 4) - 3 * l, 2 * l);
  }

  private unlink(h: number): void {
    this.next[this.prev[h]] = this.next[h];
    this.prev[this.next[h]] = this.prev[h];
  }

  private append(h: number): void {
    const head = this.l;
    this.next[h] = head;
    this.prev[h] = this.prev[head];
    this.next[this.prev[h]] = h;
    this.prev[head] = h;
  }

  private drop(h: number): void {
    this.unlink(h);
    this.size += this.len[h];
    this.data[h] = null;
    this.len[h] = 0;
  }

  /** The column's storage (at least len long) and the position from which it must be filled. */
  get(index: number, len: number): { column: Float32Array; start: number } {
    if (this.len[index]) this.unlink(index);
    const have = this.len[index];
    const more = len - have;
    if (more > 0) {
      while (this.size < more) this.drop(this.next[this.l]);
      const grown = new Float32Array(len);
      if (this.data[index]) grown.set(this.data[index]!.subarray(0, have));
      this.data[index] = grown;
      this.size -= more;
      this.len[index] = len;
    }
    this.append(index);
    return { column: this.data[index]!, start: more > 0 ? have : len };
  }

  swap(i: number, j: number): void {
    if (i === j) return;
    if (this.len[i]) this.unlink(i);
    if (this.len[j]) this.unlink(j);
    [this.data[i], this.data[j]] = [this.data[j], this.data[i]];
    [this.len[i], this.len[j]] = [this.len[j], this.len[i]];
    if (this.len[i]) this.append(i);
    if (this.len[j]) this.append(j);
    if (i > j) [i, j] = [j, i];
    const head = this.l;
    for (let h = this.next[head]; h !== head;) {
      const after = this.next[h];
      if (this.len[h] > i) {
        if (this.len[h] > j) {
          const c = this.data[h]!;
          const t = c[i];
          c[i] = c[j];
          c[j] = t;
        } else this.drop(h);
      }
      h = after;
    }
  }
}

/** libsvm's SVC_Q: Q_ij = y_i y_j K(x_i, x_j) over a problem's rows, in the solver's order. */
class SvcQ {
  readonly QD: Float64Array;
  private readonly cache: ColumnCache;

  constructor(
    private readonly kernel: TrainingKernel,
    private readonly rows: Int32Array,
    private readonly y: Int8Array,
    cacheBytes: number,
  ) {
    const l = rows.length;
    this.cache = new ColumnCache(l, cacheBytes);
    this.QD = new Float64Array(l);
    for (let i = 0; i < l; i++) this.QD[i] = kernel.diagonal(rows[i]);
  }

  getQ(i: number, len: number): Float32Array {
    const { column, start } = this.cache.get(i, len);
    if (start < len) this.kernel.fill(this.rows[i], this.rows, start, len, column, this.y, this.y[i]);
    return column;
  }

  swapIndex(i: number, j: number): void {
    this.cache.swap(i, j);
    const { rows, y, QD } = this;
    [rows[i], rows[j]] = [rows[j], rows[i]];
    [y[i], y[j]] = [y[j], y[i]];
    [QD[i], QD[j]] = [QD[j], QD[i]];
  }
}

export interface SolveResult {
  /** alpha_i · y_i for each row of the problem, in the problem's order. */
  alpha: Float64Array;
  rho: number;
  iterations: number;
}

/**
 * solve_c_svc + Solver::Solve: min ½αᵀQα − eᵀα subject to yᵀα = 0, 0 ≤ α_i ≤ C_{y_i}.
 * `rows` are training-matrix rows, `positive[i]` says whether row i is the +1 class.
 */
export function solveCSvc(
  kernel: TrainingKernel,
  rows: Int32Array,
  positive: Uint8Array,
  Cp: number,
  Cn: number,
  opts: { eps: number; shrinking: boolean; cacheBytes: number },
): SolveResult {
  const l = rows.length;
  const yOrig = Int8Array.from(positive, (p) => (p ? 1 : -1));
  const y = yOrig.slice();
  const Q = new SvcQ(kernel, rows.slice(), y, opts.cacheBytes);
  const QD = Q.QD;
  const p = new Float64Array(l).fill(-1);
  const alpha = new Float64Array(l);
  const status = new Uint8Array(l);
  const activeSet = Int32Array.from({ length: l }, (_, i) => i);
  const G = new Float64Array(l);
  const Gbar = new Float64Array(l);
  const eps = opts.eps;
  let activeSize = l;
  let unshrink = false;

  const C = (i: number) => (y[i] > 0 ? Cp : Cn);
  const updateStatus = (i: number) => {
    if (alpha[i] >= C(i)) status[i] = UPPER_BOUND;
    else if (alpha[i] <= 0) status[i] = LOWER_BOUND;
    else status[i] = FREE;
  };
  const swapIndex = (i: number, j: number) => {
    Q.swapIndex(i, j);
    // y is shared with Q, which swapped it.
    let t = G[i];
    ((G[i] = G[j]), (G[j] = t));
    const s = status[i];
    ((status[i] = status[j]), (status[j] = s));
    t = alpha[i];
    ((alpha[i] = alpha[j]), (alpha[j] = t));
    t = p[i];
    ((p[i] = p[j]), (p[j] = t));
    const a = activeSet[i];
    ((activeSet[i] = activeSet[j]), (activeSet[j] = a));
    t = Gbar[i];
    ((Gbar[i] = Gbar[j]), (Gbar[j] = t));
  };

  const reconstructGradient = () => {
    if (activeSize === l) return;
    let nrFree = 0;
    for (let j = activeSize; j < l; j++) G[j] = Gbar[j] + p[j];
    for (let j = 0; j < activeSize; j++) if (status[j] === FREE) nrFree++;
    if (nrFree * l > 2 * activeSize * (l - activeSize)) {
      for (let i = activeSize; i < l; i++) {
        const Qi = Q.getQ(i, activeSize);
        for (let j = 0; j < activeSize; j++) if (status[j] === FREE) G[i] += alpha[j] * Qi[j];
      }
    } else {
      for (let i = 0; i < activeSize; i++)
        if (status[i] === FREE) {
          const Qi = Q.getQ(i, l);
          const ai = alpha[i];
          for (let j = activeSize; j < l; j++) G[j] += ai * Qi[j];
        }
    }
  };

  // Working set: i maximizes −y_i∇f_i over I_up, j gives the largest second-order decrease.
  let outI = -1,
    outJ = -1;
  const selectWorkingSet = (): boolean => {
    let Gmax = -Infinity,
      Gmax2 = -Infinity,
      GmaxIdx = -1,
      GminIdx = -1,
      objDiffMin = Infinity;
    for (let t = 0; t < activeSize; t++)
      if (y[t] === 1) {
        if (status[t] !== UPPER_BOUND && -G[t] >= Gmax) {
          Gmax = -G[t];
          GmaxIdx = t;
        }
      } else if (status[t] !== LOWER_BOUND && G[t] >= Gmax) {
        Gmax = G[t];
        GmaxIdx = t;
      }
    const i = GmaxIdx;
    if (i !== -1) {
      const Qi = Q.getQ(i, activeSize);
      const QDi = QD[i];
      const yi2 = 2.0 * y[i];
      for (let j = 0; j < activeSize; j++) {
        if (y[j] === 1) {
          if (status[j] !== LOWER_BOUND) {
            const gradDiff = Gmax + G[j];
            if (G[j] >= Gmax2) Gmax2 = G[j];
            if (gradDiff > 0) {
              const quad = QDi + QD[j] - yi2 * Qi[j];
              const objDiff = quad > 0 ? -(gradDiff * gradDiff) / quad : -(gradDiff * gradDiff) / TAU;
              if (objDiff <= objDiffMin) {
                GminIdx = j;
                objDiffMin = objDiff;
              }
            }
          }
        } else if (status[j] !== UPPER_BOUND) {
          const gradDiff = Gmax - G[j];
          if (-G[j] >= Gmax2) Gmax2 = -G[j];
          if (gradDiff > 0) {
            const quad = QDi + QD[j] + yi2 * Qi[j];
            const objDiff = quad > 0 ? -(gradDiff * gradDiff) / quad : -(gradDiff * gradDiff) / TAU;
            if (objDiff <= objDiffMin) {
              GminIdx = j;
              objDiffMin = objDiff;
            }
          }
        }
      }
    } else {
      // libsvm reads no column when nothing is in I_up: Gmax = −∞ and no j qualifies, but
      // Gmax2 is still collected.
      for (let j = 0; j < activeSize; j++)
        if (y[j] === 1) {
          if (status[j] !== LOWER_BOUND && G[j] >= Gmax2) Gmax2 = G[j];
        } else if (status[j] !== UPPER_BOUND && -G[j] >= Gmax2) Gmax2 = -G[j];
    }
    if (Gmax + Gmax2 < eps || GminIdx === -1) return true;
    outI = GmaxIdx;
    outJ = GminIdx;
    return false;
  };

  // G_bar counts the rows at their upper bound: add or remove row t's column when it reaches or
  // leaves it. (libsvm subtracts C·Q; adding −C·Q is the same to the bit.)
  const updateGbar = (t: number, wasUpper: boolean, Ct: number) => {
    if (wasUpper === (status[t] === UPPER_BOUND)) return;
    const Qt = Q.getQ(t, l);
    const c = wasUpper ? -Ct : Ct;
    for (let k = 0; k < l; k++) Gbar[k] += c * Qt[k];
  };

  const beShrunk = (i: number, Gmax1: number, Gmax2: number): boolean => {
    if (status[i] === UPPER_BOUND) return y[i] === 1 ? -G[i] > Gmax1 : -G[i] > Gmax2;
    if (status[i] === LOWER_BOUND) return y[i] === 1 ? G[i] > Gmax2 : G[i] > Gmax1;
    return false;
  };

  const doShrinking = () => {
    let Gmax1 = -Infinity,
      Gmax2 = -Infinity;
    for (let i = 0; i < activeSize; i++) {
      if (y[i] === 1) {
        if (status[i] !== UPPER_BOUND && -G[i] >= Gmax1) Gmax1 = -G[i];
        if (status[i] !== LOWER_BOUND && G[i] >= Gmax2) Gmax2 = G[i];
      } else {
        if (status[i] !== UPPER_BOUND && -G[i] >= Gmax2) Gmax2 = -G[i];
        if (status[i] !== LOWER_BOUND && G[i] >= Gmax1) Gmax1 = G[i];
      }
    }
    if (!unshrink && Gmax1 + Gmax2 <= eps * 10) {
      unshrink = true;
      reconstructGradient();
      activeSize = l;
    }
    for (let i = 0; i < activeSize; i++)
      if (beShrunk(i, Gmax1, Gmax2)) {
        activeSize--;
        while (activeSize > i) {
          if (!beShrunk(activeSize, Gmax1, Gmax2)) {
            swapIndex(i, activeSize);
            break;
          }
          activeSize--;
        }
      }
  };

  const calculateRho = (): number => {
    let nrFree = 0,
      ub = Infinity,
      lb = -Infinity,
      sumFree = 0;
    for (let i = 0; i < activeSize; i++) {
      const yG = y[i] * G[i];
      if (status[i] === UPPER_BOUND) {
        if (y[i] === -1) ub = Math.min(ub, yG);
        else lb = Math.max(lb, yG);
      } else if (status[i] === LOWER_BOUND) {
        if (y[i] === 1) ub = Math.min(ub, yG);
        else lb = Math.max(lb, yG);
      } else {
        ++nrFree;
        sumFree += yG;
      }
    }
    return nrFree > 0 ? sumFree / nrFree : (ub + lb) / 2;
  };

  for (let i = 0; i < l; i++) updateStatus(i);
  for (let i = 0; i < l; i++) G[i] = p[i];
  // alpha starts at 0: every row is at its lower bound, so the initial gradient is p.

  let iter = 0;
  const maxIter = Math.max(10_000_000, 100 * l);
  let counter = Math.min(l, 1000) + 1;
  while (iter < maxIter) {
    if (--counter === 0) {
      counter = Math.min(l, 1000);
      if (opts.shrinking) doShrinking();
    }
    if (selectWorkingSet()) {
      reconstructGradient();
      activeSize = l;
      if (selectWorkingSet()) break;
      counter = 1; // shrink at the next iteration
    }
    ++iter;
    const i = outI,
      j = outJ;
    const Qi = Q.getQ(i, activeSize);
    const Qj = Q.getQ(j, activeSize);
    const Ci = C(i),
      Cj = C(j);
    const oldAi = alpha[i],
      oldAj = alpha[j];
    if (y[i] !== y[j]) {
      let quad = QD[i] + QD[j] + 2 * Qi[j];
      if (quad <= 0) quad = TAU;
      const delta = (-G[i] - G[j]) / quad;
      const diff = alpha[i] - alpha[j];
      alpha[i] += delta;
      alpha[j] += delta;
      if (diff > 0) {
        if (alpha[j] < 0) {
          alpha[j] = 0;
          alpha[i] = diff;
        }
      } else if (alpha[i] < 0) {
        alpha[i] = 0;
        alpha[j] = -diff;
      }
      if (diff > Ci - Cj) {
        if (alpha[i] > Ci) {
          alpha[i] = Ci;
          alpha[j] = Ci - diff;
        }
      } else if (alpha[j] > Cj) {
        alpha[j] = Cj;
        alpha[i] = Cj + diff;
      }
    } else {
      let quad = QD[i] + QD[j] - 2 * Qi[j];
      if (quad <= 0) quad = TAU;
      const delta = (G[i] - G[j]) / quad;
      const sum = alpha[i] + alpha[j];
      alpha[i] -= delta;
      alpha[j] += delta;
      if (sum > Ci) {
        if (alpha[i] > Ci) {
          alpha[i] = Ci;
          alpha[j] = sum - Ci;
        }
      } else if (alpha[j] < 0) {
        alpha[j] = 0;
        alpha[i] = sum;
      }
      if (sum > Cj) {
        if (alpha[j] > Cj) {
          alpha[j] = Cj;
          alpha[i] = sum - Cj;
        }
      } else if (alpha[i] < 0) {
        alpha[i] = 0;
        alpha[j] = sum;
      }
    }
    const dAi = alpha[i] - oldAi,
      dAj = alpha[j] - oldAj;
    for (let k = 0; k < activeSize; k++) G[k] += Qi[k] * dAi + Qj[k] * dAj;

    const ui = status[i] === UPPER_BOUND,
      uj = status[j] === UPPER_BOUND;
    updateStatus(i);
    updateStatus(j);
    updateGbar(i, ui, Ci);
    updateGbar(j, uj, Cj);
  }
  if (iter >= maxIter && activeSize < l) {
    reconstructGradient();
    activeSize = l;
  }
  const rho = calculateRho();
  const out = new Float64Array(l);
  for (let i = 0; i < l; i++) out[activeSet[i]] = alpha[i];
  for (let i = 0; i < l; i++) out[i] *= yOrig[i];
  return { alpha: out, rho, iterations: iter };
}
