/**
 * Formants from linear prediction: the autocorrelation method (Levinson–Durbin) on a
 * pre-emphasized Hamming frame, the predictor's roots (Durand–Kerner), each root above the real
 * axis a resonance at angle · sr / 2π Hz with bandwidth −ln|z| · sr / π Hz. F1–F3 are the three
 * lowest resonances above 50 Hz, however wide (openSMILE's bandwidths, about 1 kHz on average,
 * say it keeps wide ones too).
 */

const MIN_FORMANT_HZ = 50;

/** LPC coefficients a[0] = 1 … a[p] of x, by Levinson–Durbin. */
export function lpc(x: Float64Array, order: number): Float64Array {
  const r = new Float64Array(order + 1);
  for (let l = 0; l <= order; l++) for (let i = 0; i + l < x.length; i++) r[l] += x[i] * x[i + l];
  const a = new Float64Array(order + 1);
  a[0] = 1;
  if (r[0] <= 0) return a;
  r[0] *= 1 + 1e-9; // a whisper of white noise keeps the system well conditioned
  let e = r[0];
  const tmp = new Float64Array(order + 1);
  for (let i = 1; i <= order; i++) {
    let acc = r[i];
    for (let j = 1; j < i; j++) acc += a[j] * r[i - j];
    const k = -acc / e;
    tmp.set(a);
    for (let j = 1; j < i; j++) a[j] = tmp[j] + k * tmp[i - j];
    a[i] = k;
    e *= 1 - k * k;
    if (e <= 0) break;
  }
  return a;
}

/**
 * Complex roots of the polynomial Σ a[i] z^{p−i} (a[0] = 1), by Durand–Kerner iteration, from
 * `start` (the previous frame's roots: formants move slowly, so few iterations are needed) or
 * from points on a circle rotated off the axes.
 */
function roots(a: Float64Array, start?: { re: Float64Array; im: Float64Array }): { re: Float64Array; im: Float64Array } {
  const p = a.length - 1;
  const re = new Float64Array(p),
    im = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    const ang = (2 * Math.PI * i) / p + 0.4;
    // A warm start is nudged off the real axis, where conjugate pairs could not separate.
    re[i] = start ? start.re[i] : 0.9 * Math.cos(ang);
    im[i] = start ? start.im[i] + (Math.abs(start.im[i]) < 1e-3 ? 0.01 * Math.sin(ang) + 1e-3 : 0) : 0.9 * Math.sin(ang);
  }
  for (let it = 0; it < 200; it++) {
    let moved = 0;
    for (let i = 0; i < p; i++) {
      // value of the polynomial at z_i (Horner)
      let vr = 1,
        vi = 0;
      for (let k = 1; k <= p; k++) {
        const nr = vr * re[i] - vi * im[i] + a[k];
        vi = vr * im[i] + vi * re[i];
        vr = nr;
      }
      // product of (z_i − z_j)
      let dr = 1,
        di = 0;
      for (let j = 0; j < p; j++) {
        if (j === i) continue;
        const xr = re[i] - re[j],
          xi = im[i] - im[j];
        const nr = dr * xr - di * xi;
        di = dr * xi + di * xr;
        dr = nr;
      }
      const den = dr * dr + di * di || 1e-300;
      const qr = (vr * dr + vi * di) / den,
        qi = (vi * dr - vr * di) / den;
      re[i] -= qr;
      im[i] -= qi;
      moved = Math.max(moved, Math.abs(qr) + Math.abs(qi));
    }
    if (moved < 1e-10) break;
  }
  return { re, im };
}

export interface Formant {
  frequency: number;
  bandwidth: number;
}

/** F1–F3 of every 10 ms frame (fewer where fewer resonances qualify): `win`-sample frames from t · hop. */
export function formantTrack(y: Float64Array, sr: number, frames: number, hop: number, win: number, order: number): Formant[][] {
  const x = new Float64Array(win);
  const w = Float64Array.from({ length: win }, (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (win - 1)));
  const out: Formant[][] = [];
  let prev: { re: Float64Array; im: Float64Array } | undefined;
  for (let t = 0; t < frames; t++) {
    const s = t * hop;
    // Pre-emphasis (first difference, 0.97) under a Hamming window.
    for (let i = 0; i < win; i++) x[i] = ((y[s + i] ?? 0) - (i > 0 ? 0.97 * (y[s + i - 1] ?? 0) : 0)) * w[i];
    const a = lpc(x, order);
    const z = roots(a, prev);
    prev = Number.isFinite(z.re[0]) ? z : undefined;
    const found: Formant[] = [];
    for (let i = 0; i < z.re.length; i++) {
      if (!(z.im[i] > 0)) continue;
      const frequency = (Math.atan2(z.im[i], z.re[i]) * sr) / (2 * Math.PI);
      if (frequency > MIN_FORMANT_HZ && frequency < sr / 2 - MIN_FORMANT_HZ)
        found.push({ frequency, bandwidth: (-Math.log(Math.sqrt(z.re[i] * z.re[i] + z.im[i] * z.im[i])) * sr) / Math.PI });
    }
    out.push(found.sort((p, q) => p.frequency - q.frequency).slice(0, 3));
  }
  return out;
}
