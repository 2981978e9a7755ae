/**
 * Temperature scaling, fitted and applied in this one place: a job's temperature is fitted on its
 * validation clips (the root of dNLL/dT, calibration.ts) when its probabilities are made, and
 * the same function scales its test probabilities when the run is evaluated.
 */
import { applyTemperature, calibration, fitTemperature, floorProbabilities, temperatureNll } from './calibration.ts';

/** Raw against scaled probabilities on a job's validation clips. */
export interface ValidationCalibration {
  n: number;
  nll_raw: number;
  nll_scaled: number;
  ece_raw: number;
  ece_scaled: number;
}

export interface TemperatureFit {
  temperature: number;
  /** How the temperature was found (or why it is 1). */
  foundBy: string;
  /** Both sets of probabilities on validation: the report says which is better there, never silently prefers one. */
  validation: ValidationCalibration | null;
}

/** No validation clips, or scaling off: T = 1. */
export const NO_SCALING: TemperatureFit = { temperature: 1, foundBy: 'no validation clips: T = 1', validation: null };

/** Fit T on validation probabilities (n × k, rows in class order) and their labels. */
export function fitScaling(y: Int32Array, probs: ArrayLike<number>, k: number, eceBins: number): TemperatureFit {
  const p = floorProbabilities(probs);
  const t = fitTemperature(y, p, k);
  return {
    temperature: t.temperature,
    foundBy: t.found_by,
    validation: {
      n: y.length,
      nll_raw: temperatureNll(y, p, k, 1),
      nll_scaled: temperatureNll(y, p, k, t.temperature),
      ece_raw: calibration(y, p, k, eceBins).ece,
      ece_scaled: calibration(y, applyTemperature(p, k, t.temperature), k, eceBins).ece,
    },
  };
}

/** One row (or many, n × k) of probabilities after temperature T. */
export const scaled = (probs: ArrayLike<number>, k: number, temperature: number): number[] =>
  Array.from(applyTemperature(floorProbabilities(probs), k, temperature));
