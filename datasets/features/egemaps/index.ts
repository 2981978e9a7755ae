/**
 * The `egemaps` feature kind: eGeMAPS v02's 88 functionals (Eyben et al. 2016) of the recording
 * as read (resampled to the suite's rate; neither trimmed nor cropped, since its timing
 * functionals, voiced and unvoiced segments and loudness peaks per second, are about the whole
 * recording, as openSMILE computes them).
 */
import type { ClipSignal } from '../kind.ts';
import type { CachedArray } from '../cache.ts';
import { eGeMapsLlds } from './lld.ts';
import { functionals, FUNCTIONAL_NAMES } from './functionals.ts';

export { FUNCTIONAL_NAMES as EGEMAPS_NAMES };

/** The 88 functionals of a waveform at `sampleRate`, in openSMILE's order. */
export function eGeMaps(y: Float32Array | Float64Array, sampleRate: number): Float64Array {
  return functionals(eGeMapsLlds(Float64Array.from(y), sampleRate));
}

export function egemapsFeature(c: ClipSignal): CachedArray {
  return { shape: [FUNCTIONAL_NAMES.length], data: Float32Array.from(eGeMaps(c.recording, c.settings.sample_rate)) };
}
