/** Radix-2 FFT for real frames (power-of-two sizes), in float64. */
export class RealFFT {
  readonly n: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(n: number) {
    if (n < 2 || (n & (n - 1)) !== 0) throw new Error(`FFT size must be a power of two, got ${n}`);
    this.n = n;
    this.cos = new Float64Array(n / 2);
    this.sin = new Float64Array(n / 2);
    for (let i = 0; i < n / 2; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / n);
      this.sin[i] = -Math.sin((2 * Math.PI * i) / n);
    }
    const bits = Math.log2(n);
    this.rev = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.re = new Float64Array(n);
    this.im = new Float64Array(n);
  }

  /** Forward transform of a real frame; writes bins 0..n/2 into outRe/outIm. */
  forward(frame: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    const { n, re, im, rev, cos, sin } = this;
    for (let i = 0; i < n; i++) {
      re[rev[i]] = frame[i];
      im[rev[i]] = 0;
    }
    this.butterflies(re, im, cos, sin);
    for (let k = 0; k <= n / 2; k++) {
      outRe[k] = re[k];
      outIm[k] = im[k];
    }
  }

  /** Inverse of a Hermitian spectrum given by bins 0..n/2 (numpy irfft: imag of DC and Nyquist ignored). */
  inverse(inRe: Float64Array, inIm: Float64Array, out: Float64Array): void {
    const { n, re, im, rev, cos, sin } = this;
    const half = n / 2;
    const fullRe = new Float64Array(n);
    const fullIm = new Float64Array(n);
    for (let k = 0; k <= half; k++) {
      fullRe[k] = inRe[k];
      fullIm[k] = k === 0 || k === half ? 0 : inIm[k];
    }
    for (let k = half + 1; k < n; k++) {
      fullRe[k] = inRe[n - k];
      fullIm[k] = -inIm[n - k];
    }
    // ifft(x) = conj(fft(conj(x))) / n
    for (let i = 0; i < n; i++) {
      re[rev[i]] = fullRe[i];
      im[rev[i]] = -fullIm[i];
    }
    this.butterflies(re, im, cos, sin);
    for (let i = 0; i < n; i++) out[i] = re[i] / n;
  }

  private butterflies(re: Float64Array, im: Float64Array, cos: Float64Array, sin: Float64Array): void {
    const n = this.n;
    for (let size = 2; size <= n; size <<= 1) {
      const half = size >> 1;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let j = 0, t = 0; j < half; j++, t += step) {
          const a = start + j;
          const b = a + half;
          const tr = re[b] * cos[t] - im[b] * sin[t];
          const ti = re[b] * sin[t] + im[b] * cos[t];
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }
}
