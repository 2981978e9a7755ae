/**
 * Late fusion (`type: ensemble`), formed when a run is evaluated: for every split seed, model seed
 * and fold where each member has a job, the weighted mean of the members' probabilities on the
 * test clips, as a job of its own. Weights are equal, or those (a simplex grid in steps of 0.1)
 * with the lowest log loss on the fold's validation clips; its temperature is fitted on the same
 * clips (stats/temperature.ts). It then takes part like any model.
 */
import type { JobResult, RunData } from './run-records.ts';
import { fitScaling, NO_SCALING } from './temperature.ts';
import { fileComponent } from '../../core/file-names.ts';

/** What forming ensembles reads of a suite (evaluate-run.ts's EvaluatedSuite). */
interface SuiteModels {
  evaluation: { temperature_scaling: boolean; ece_bins: number };
  models: { name: string; type: string; params?: unknown }[];
}

export interface EnsembleSpec {
  name: string;
  members: string[];
  weights: 'equal' | 'validation';
}

/** Every weighting of m members on a simplex grid of step 1/steps. */
function simplex(m: number, steps = 10): number[][] {
  if (m === 1) return [[1]];
  const out: number[][] = [];
  for (let i = 0; i <= steps; i++) for (const rest of simplex(m - 1, steps - i)) out.push([i / 10, ...rest.map((r) => (r * (steps - i)) / 10)]);
  return out.filter((w) => Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-9);
}

/** Σ w_m p_m, row by row. */
const mix = (parts: number[][][], w: number[]) => parts[0].map((_, r) => parts[0][r].map((__, c) => parts.reduce((a, p, m) => a + w[m] * p[r][c], 0)));

/** Mean negative log-likelihood of labels y under rows p. */
const nll = (p: number[][], y: number[]) => p.reduce((a, row, i) => a - Math.log(Math.max(row[y[i]], 1e-12)), 0) / Math.max(1, p.length);

/** The members' probabilities for `clips`, in that order, or null if some member lacks one. */
function aligned(jobs: JobResult[], part: 'test' | 'val', clips: string[]): number[][][] | null {
  const out: number[][][] = [];
  for (const j of jobs) {
    const d = j[part];
    if (!d) return null;
    const at = new Map(d.clips.map((c, i) => [c, i]));
    if (clips.some((c) => !at.has(c))) return null;
    out.push(clips.map((c) => d.probs[at.get(c)!]));
  }
  return out;
}

/** One ensemble job from its members' jobs of one split seed, model seed and fold. */
function ensembleJob(spec: EnsembleSpec, members: JobResult[], data: RunData, suite: SuiteModels): JobResult {
  const first = members[0];
  const clips = first.test.clips;
  const test = aligned(members, 'test', clips);
  if (!test) throw new Error(`ensemble ${spec.name}: its members did not predict the same test clips in fold ${first.fold} (seed ${first.seed})`);
  const valClips = first.val?.clips ?? [];
  const val = valClips.length ? aligned(members, 'val', valClips) : null;
  const y = valClips.map((id) => data.classes.indexOf(data.clips.find((c) => c.id === id)!.emotion));
  let w = members.map(() => 1 / members.length);
  const notes = [`late fusion: the ${spec.weights === 'equal' ? 'mean' : 'weighted mean'} of the probabilities of ${spec.members.join(', ')}`];
  if (spec.weights === 'validation') {
    if (!val) notes.push('no validation probabilities for every member: equal weights');
    else {
      w = simplex(members.length).reduce((best, c) => (nll(mix(val, c), y) < nll(mix(val, best), y) ? c : best), w);
      notes.push(
        `weights chosen on ${valClips.length} validation clips (lowest log loss on a 0.1 grid): ${spec.members.map((m, i) => `${m} ${w[i].toFixed(1)}`).join(', ')}`,
      );
    }
  }
  const k = data.classes.length;
  const valMix = val ? mix(val, w) : null;
  const scaling = valMix && suite.evaluation.temperature_scaling ? fitScaling(Int32Array.from(y), valMix.flat(), k, suite.evaluation.ece_bins) : NO_SCALING;
  const id = first.id.replace(/_[^_]+$/, `_${fileComponent(spec.name)}`);
  return {
    id,
    seed: first.seed,
    modelSeed: first.modelSeed,
    fold: first.fold,
    model: spec.name,
    suiteHash: first.suiteHash,
    foldFingerprint: first.foldFingerprint,
    family: 'ensemble',
    features: 'none',
    fit: { seconds: 0, parameters: 0, notes },
    temperature: scaling.temperature,
    temperatureFoundBy: scaling.foundBy,
    validation: scaling.validation,
    trainClassCounts: first.trainClassCounts,
    test: { clips, probs: mix(test, w) },
    ...(valMix ? { val: { clips: valClips, probs: valMix } } : {}),
    trainClips: first.trainClips,
    trainCopies: first.trainCopies,
    valClips: first.valClips,
    seconds: 0,
  };
}

/** The run's jobs with each ensemble's jobs added, where all of its members have one. */
export function withEnsembles(jobs: JobResult[], suite: SuiteModels, data: RunData): JobResult[] {
  const specs = suite.models
    .filter((m) => m.type === 'ensemble')
    .map((m) => ({ name: m.name, ...(m.params as { members: string[]; weights: 'equal' | 'validation' }) }));
  const out = [...jobs];
  for (const spec of specs) {
    const groups = new Map<string, JobResult[]>();
    for (const j of jobs)
      if (spec.members.includes(j.model)) {
        const key = `${j.seed}/${j.modelSeed ?? j.seed}/${j.fold}`;
        groups.set(key, [...(groups.get(key) ?? []), j]);
      }
    for (const g of groups.values()) {
      if (g.length !== spec.members.length) continue; // a member's job has not finished
      const members = spec.members.map((m) => g.find((j) => j.model === m)!);
      out.push(ensembleJob(spec, members, data, suite));
    }
  }
  return out;
}
