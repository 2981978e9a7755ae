/**
 * What eGeMAPS measures of the voice in a voiced frame, given its F0: jitter (the mean change of
 * consecutive period lengths over their mean), shimmer (the mean change of consecutive periods'
 * peak-to-peak amplitudes, in dB), and the harmonics-to-noise ratio from the autocorrelation at the
 * period (10 · log10(r / (1 − r))).
 */

export interface VoiceMeasures {
  jitter: number;
  shimmerDb: number;
  hnrDb: number;
}

/** Normalized correlation of the `len` samples of x from a and from b. */
function similarity(x: Float64Array, a: number, b: number, len: number): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < len; i++) ((ab += x[a + i] * x[b + i]), (aa += x[a + i] * x[a + i]), (bb += x[b + i] * x[b + i]));
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * Cycle starts in x, T0 (samples) apart give or take 30%: each next start is where the cycle
 * after it best matches the one before (waveform matching, refined between samples by a
 * parabola), so the lengths follow the waveform and not whichever peak is highest.
 */
function cycles(x: Float64Array, t0: number): number[] {
  const len = Math.round(t0);
  let first = 0;
  for (let i = 1; i < Math.min(x.length, len); i++) if (x[i] > x[first]) first = i;
  const out = [first];
  for (;;) {
    const a = Math.round(out[out.length - 1]);
    const lo = a + Math.floor(0.7 * t0),
      hi = a + Math.ceil(1.3 * t0);
    if (hi + len + 1 >= x.length) break;
    let best = lo,
      bestC = -Infinity;
    const c = new Float64Array(hi - lo + 1);
    for (let b = lo; b <= hi; b++) {
      c[b - lo] = similarity(x, a, b, len);
      if (c[b - lo] > bestC) ((bestC = c[b - lo]), (best = b));
    }
    const j = best - lo;
    const shift = j > 0 && j < c.length - 1 ? (0.5 * (c[j - 1] - c[j + 1])) / (c[j - 1] - 2 * c[j] + c[j + 1] || Infinity) : 0;
    out.push(out[out.length - 1] + (best + shift - a));
  }
  return out;
}

/** Jitter, shimmer and HNR of one voiced frame (x: its samples, mean removed), F0 in Hz. */
export function voiceMeasures(x: Float64Array, f0: number, sr: number): VoiceMeasures {
  const t0 = sr / f0;
  const starts = cycles(x, t0);
  const periods = starts.slice(1).map((v, i) => v - starts[i]);
  let jit = 0;
  for (let i = 1; i < periods.length; i++) jit += Math.abs(periods[i] - periods[i - 1]);
  const meanT = periods.reduce((a, b) => a + b, 0) / Math.max(1, periods.length);
  // Each cycle's peak-to-peak amplitude.
  const amps = periods.map((_, i) => {
    let lo = Infinity,
      hi = -Infinity;
    for (let j = Math.round(starts[i]); j < Math.round(starts[i + 1]); j++) ((lo = Math.min(lo, x[j])), (hi = Math.max(hi, x[j])));
    return hi - lo;
  });
  let shim = 0,
    count = 0;
  for (let i = 1; i < amps.length; i++)
    if (amps[i] > 0 && amps[i - 1] > 0) {
      shim += Math.abs(20 * Math.log10(amps[i] / amps[i - 1]));
      count++;
    }
  // Normalized autocorrelation at the period (linear interpolation between lags).
  const lag = Math.floor(t0),
    frac = t0 - lag;
  const nacf = (l: number) => {
    let xy = 0,
      xx = 0,
      yy = 0;
    for (let i = 0; i + l < x.length; i++) ((xy += x[i] * x[i + l]), (xx += x[i] * x[i]), (yy += x[i + l] * x[i + l]));
    return xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
  };
  const r = Math.min(0.9999, Math.max(1e-4, (1 - frac) * nacf(lag) + frac * nacf(lag + 1)));
  return {
    jitter: periods.length > 1 && meanT > 0 ? jit / (periods.length - 1) / meanT : 0,
    shimmerDb: count ? shim / count : 0,
    hnrDb: 10 * Math.log10(r / (1 - r)),
  };
}
