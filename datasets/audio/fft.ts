/**
 * FFT of real frames (power-of-two sizes), in float64: an n/2-point complex radix-2 FFT of the
 * even/odd samples packed as real/imaginary parts, then one split step — half the work of a
 * complex FFT of the zero-padded frame.
 *
 * The STFT and the inverse STFT run the same algorithm in WebAssembly, two frames at a time
 * (kernels/dsp.ts, with these tables); `forward` and `inverse` are their scalar statements,
 * and the tests hold each kernel to the same doubles.
 */
export class RealFFT {
  readonly n: number;
  private readonly half: number;
  /** Twiddles of the n/2-point transform. */
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  /** Twiddles e^{-2πik/n} of the split step. */
  readonly splitCos: Float64Array;
  readonly splitSin: Float64Array;
  readonly rev: Uint32Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(n: number) {
    if (n < 4 || (n & (n - 1)) !== 0) throw new Error(`FFT size must be a power of two ≥ 4, got ${n}`);
    this.n = n;
    const h = (this.half = n / 2);
    this.cos = new Float64Array(h / 2);
    this.sin = new Float64Array(h / 2);
    for (let i = 0; i < h / 2; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / h);
      this.sin[i] = -Math.sin((2 * Math.PI * i) / h);
    }
    this.splitCos = new Float64Array(h + 1);
    this.splitSin = new Float64Array(h + 1);
    for (let k = 0; k <= h; k++) {
      this.splitCos[k] = Math.cos((2 * Math.PI * k) / n);
      this.splitSin[k] = -Math.sin((2 * Math.PI * k) / n);
    }
    const bits = Math.log2(h);
    this.rev = new Uint32Array(h);
    for (let i = 0; i < h; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.re = new Float64Array(h);
    this.im = new Float64Array(h);
  }

  /** Forward transform of a real frame; writes bins 0..n/2 into outRe/outIm. */
  forward(frame: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    const { half: h, re, im, rev } = this;
    for (let m = 0; m < h; m++) {
      re[rev[m]] = frame[2 * m];
      im[rev[m]] = frame[2 * m + 1];
    }
    this.butterflies(re, im);
    // X[k] = E[k] + W^k O[k], with E = (Z[k] + conj Z[h−k]) / 2 and O = (Z[k] − conj Z[h−k]) / 2i.
    for (let k = 0; k <= h; k++) {
      const a = k % h,
        b = (h - k) % h;
      const er = (re[a] + re[b]) / 2,
        ei = (im[a] - im[b]) / 2;
      const or = (im[a] + im[b]) / 2,
        oi = -(re[a] - re[b]) / 2;
      const wr = this.splitCos[k],
        wi = this.splitSin[k];
      outRe[k] = er + wr * or - wi * oi;
      outIm[k] = ei + wr * oi + wi * or;
    }
  }

  /** Inverse of a Hermitian spectrum given by bins 0..n/2 (numpy irfft: imag of DC and Nyquist ignored). */
  inverse(inRe: Float64Array, inIm: Float64Array, out: Float64Array): void {
    const { half: h, re, im, rev } = this;
    // Undo the split: Z[k] = E[k] + i O[k], E = (X[k] + conj X[h−k]) / 2, O = (X[k] − conj X[h−k]) W^{−k} / 2.
    const zr = new Float64Array(h),
      zi = new Float64Array(h);
    for (let k = 0; k < h; k++) {
      const xr = inRe[k],
        xi = k === 0 ? 0 : inIm[k];
      const yr = inRe[h - k],
        yi = h - k === h || h - k === 0 ? 0 : inIm[h - k];
      const er = (xr + yr) / 2,
        ei = (xi - yi) / 2;
      const dr = (xr - yr) / 2,
        di = (xi + yi) / 2;
      const wr = this.splitCos[k],
        wi = -this.splitSin[k]; // W^{−k}
      const or = dr * wr - di * wi,
        oi = dr * wi + di * wr;
      zr[k] = er - oi;
      zi[k] = ei + or;
    }
    // z = ifft(Z) = conj(fft(conj Z)) / h; x[2m] = Re z[m], x[2m+1] = Im z[m].
    for (let k = 0; k < h; k++) {
      re[rev[k]] = zr[k];
      im[rev[k]] = -zi[k];
    }
    this.butterflies(re, im);
    for (let m = 0; m < h; m++) {
      out[2 * m] = re[m] / h;
      out[2 * m + 1] = -im[m] / h;
    }
  }

  private butterflies(re: Float64Array, im: Float64Array): void {
    const h = this.half,
      cos = this.cos,
      sin = this.sin;
    for (let size = 2; size <= h; size <<= 1) {
      const halfSize = size >> 1;
      const step = h / size;
      for (let start = 0; start < h; start += size) {
        for (let j = 0, t = 0; j < halfSize; j++, t += step) {
          const a = start + j;
          const b = a + halfSize;
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
