/** Small deterministic PRNG helpers: every random choice in serbench goes through a seeded Rng. */

/** FNV-1a 32-bit hash of a string: turns names into seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: fast, 32-bit state, good enough for shuffles, noise and bootstrap. */
export class Rng {
  /** Kept as a signed 32-bit integer (the same bits as mulberry32's uint32): V8 stores it unboxed. */
  private state: number;
  constructor(seed: number | string) {
    this.state = (typeof seed === 'string' ? hashString(seed) : seed) | 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /**
   * Fill `out` with standard normals by Marsaglia's polar method: two normals per accepted
   * pair of uniforms, one log and one square root, no trigonometry (3× faster than normal()
   * per value). A different sequence from normal()'s.
   */
  fillNormal(out: Float32Array | Float64Array): void {
    for (let i = 0; i < out.length; i += 2) {
      let u: number, v: number, s: number;
      do {
        u = 2 * this.next() - 1;
        v = 2 * this.next() - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      out[i] = u * f;
      if (i + 1 < out.length) out[i + 1] = v * f;
    }
  }
  /** Gamma(shape, 1) by Marsaglia and Tsang (2000); a shape under 1 through Gamma(shape + 1) · U^(1/shape). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(1 - this.next(), 1 / shape);
    const d = shape - 1 / 3,
      c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.next();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }
  /** Beta(a, b), as G_a / (G_a + G_b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a),
      y = this.gamma(b);
    return x + y > 0 ? x / (x + y) : 0.5;
  }
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  /** The generator's position, to be restored with `at` (a network's checkpoint keeps its streams'). */
  position(): number {
    return this.state;
  }
  at(position: number): this {
    this.state = position | 0;
    return this;
  }
}
