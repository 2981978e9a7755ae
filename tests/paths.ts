import { existsSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared folder beside the repository: real corpora (research-only licences) and reference
 * values from librosa, scikit-learn, fairlearn, statsmodels, openSMILE and EmoBox, never copied
 * into the repository. SERBENCH_SHARED points elsewhere (or at nothing, to see the skips).
 */
export const SHARED = resolve(process.env.SERBENCH_SHARED ?? join(dirname(fileURLToPath(import.meta.url)), '../../shared'));
export const CORPORA_SAMPLE = resolve(SHARED, 'corpora-sample');
export const LIBROSA_REF = resolve(SHARED, 'reference/librosa');
export const METRICS_REF = resolve(SHARED, 'reference/metrics');
export const CORPORA_DEV = resolve(SHARED, 'corpora-dev');

/** The parts of the shared folder tests read, and where each is. */
const PARTS = {
  'corpora-sample': CORPORA_SAMPLE,
  'corpora-dev': join(CORPORA_DEV, 'ravdess-16k'),
  'reference/librosa': LIBROSA_REF,
  'reference/metrics': METRICS_REF,
  'reference/opensmile': join(SHARED, 'reference', 'opensmile'),
  'reference/emobox': join(SHARED, 'reference', 'emobox'),
} as const;
export type SharedPart = keyof typeof PARTS;

const said = new Set<string>();

/**
 * Whether the shared parts a test needs are here. If one is not, says so once, in one line: what
 * is skipped, what is missing, and where it comes from (README, "Tests").
 */
export function haveShared(what: string, ...parts: SharedPart[]): boolean {
  const missing = parts.filter((p) => !existsSync(PARTS[p]));
  if (missing.length && !said.has(what)) {
    said.add(what);
    console.log(
      `skipped: ${what}: needs ${missing.map((p) => PARTS[p]).join(' and ')} (real corpora and reference values kept beside the repository, never in it; README, "Tests")`,
    );
  }
  return missing.length === 0;
}
