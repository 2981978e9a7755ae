import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared folder beside the repository (corpora sample and reference values; never copied in). */
export const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared');
export const CORPORA_SAMPLE = resolve(SHARED, 'corpora-sample');
export const LIBROSA_REF = resolve(SHARED, 'reference/librosa');
export const METRICS_REF = resolve(SHARED, 'reference/metrics');
export const CORPORA_DEV = resolve(SHARED, 'corpora-dev');
