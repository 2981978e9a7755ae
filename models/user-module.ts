/**
 * A model of your own (`type: module`): the file is loaded (TypeScript through tsx, wherever it
 * lives), its default export constructed as new Model(k, params), and what it returns held to
 * the contract before anything of it is scored: fit() returns a fit report, predictProba()
 * n × k finite, non-negative probabilities whose rows sum to 1, toJSON() a plain object.
 * Anything else is refused naming the model's file and what was wrong.
 */
import { pathToFileURL } from 'node:url';
import type { Batch } from '../core/batch.ts';
import type { Classifier, FitOptions, FitReport, SerializedModel } from './classifier.ts';

export type UserModelClass = {
  new (k: number, params: Record<string, unknown>): Classifier;
  fromJSON?: (j: SerializedModel) => Promise<Classifier> | Classifier;
};

/** Rows may differ from 1 by this much (float32 sums of k terms). */
const SUM_TOLERANCE = 1e-4;

/**
 * The module's model class. Modules go through tsx's own scoped loader where tsx is installed, so
 * that they load from any folder, with or without a package.json, whatever loader the process
 * runs under (a TypeScript checkout registers tsx for the whole process, under which a plain
 * import of an ES module written as .js fails). Without tsx, JavaScript is imported as it is.
 */
export async function userModelClass(path: string): Promise<UserModelClass> {
  let mod: Record<string, unknown>;
  try {
    let tsImport: ((specifier: string, parent: string) => Promise<Record<string, unknown>>) | undefined;
    try {
      ({ tsImport } = (await import('tsx/esm/api')) as unknown as { tsImport: typeof tsImport });
    } catch {
      if (/\.[cm]?tsx?$/.test(path)) throw new Error('a TypeScript model needs tsx (npm i -D tsx), or compile it to JavaScript');
    }
    mod = tsImport ? await tsImport(pathToFileURL(path).href, import.meta.url) : await import(pathToFileURL(path).href);
  } catch (e) {
    throw new Error(`${path}: cannot load the model module: ${(e as Error).message.split('\n')[0]}`);
  }
  // A file compiled as CommonJS (no "type": "module" beside it) arrives as { default: module.exports }.
  const d = mod.default as Record<string, unknown> | undefined;
  const Model = (typeof d === 'function' ? d : (d?.default ?? d?.Model ?? mod.Model)) as UserModelClass | undefined;
  if (typeof Model !== 'function') throw new Error(`${path}: exports no model class (export default class … implements Classifier)`);
  return Model;
}

/** Probabilities as the contract wants them (n × k, flat), or a refusal that says what is wrong with them. */
export function contractProbabilities(p: unknown, n: number, k: number, who: string): Float32Array {
  let flat: ArrayLike<number>;
  if (p instanceof Float32Array || p instanceof Float64Array) flat = p;
  else if (Array.isArray(p) && p.every((r) => Array.isArray(r))) {
    const bad = (p as unknown[][]).findIndex((r) => r.length !== k);
    if (p.length !== n || bad >= 0)
      throw new Error(
        `${who}: predictProba returned ${p.length} rows${bad >= 0 ? ` (row ${bad} has ${(p as unknown[][])[bad].length} values)` : ''} for ${n} clips × ${k} classes`,
      );
    flat = (p as number[][]).flat();
  } else if (Array.isArray(p)) flat = p as number[];
  else
    throw new Error(`${who}: predictProba must return a Float32Array (or number[] / number[][]) of n × k probabilities, got ${p === null ? 'null' : typeof p}`);
  if (flat.length !== n * k) {
    const perRow = flat.length / n;
    const hint = Number.isInteger(perRow) ? ` (${perRow} per clip: the suite has ${k} classes, in the order of labels.set)` : '';
    throw new Error(`${who}: predictProba returned ${flat.length} values for ${n} clips × ${k} classes${hint}`);
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) {
      const v = flat[i * k + j];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new Error(`${who}: predictProba gave ${v} for clip ${i}, class ${j}: probabilities must be finite numbers`);
      if (v < 0) throw new Error(`${who}: predictProba gave a negative probability (${v}) for clip ${i}, class ${j}`);
      s += v;
    }
    if (Math.abs(s - 1) > SUM_TOLERANCE)
      throw new Error(`${who}: the probabilities of clip ${i} sum to ${s} (each row must sum to 1 ± ${SUM_TOLERANCE}: return softmax outputs, not scores)`);
  }
  return Float32Array.from(flat);
}

/** A user's model held to the contract: every answer checked before it is used. */
export class CheckedModel implements Classifier {
  constructor(
    private readonly inner: Classifier,
    private readonly module: string,
  ) {}
  get family(): string {
    return String(this.inner.family ?? 'module');
  }
  get k(): number {
    return this.inner.k;
  }
  private get who(): string {
    return `the model of ${this.module}`;
  }

  async fit(train: Batch, val: Batch | undefined, opts: FitOptions): Promise<FitReport> {
    const r = (await this.inner.fit(train, val, opts)) as FitReport | undefined;
    if (!r || typeof r !== 'object' || typeof r.seconds !== 'number' || !Number.isFinite(r.seconds))
      throw new Error(`${this.who}: fit() must return a fit report { seconds, parameters, notes }, got ${JSON.stringify(r) ?? String(r)}`);
    return { ...r, parameters: Number.isFinite(r.parameters) ? r.parameters : 0, notes: Array.isArray(r.notes) ? r.notes.map(String) : [] };
  }

  async predictProba(x: Batch): Promise<Float32Array> {
    return contractProbabilities(await this.inner.predictProba(x), x.n, this.inner.k, this.who);
  }

  async toJSON(): Promise<SerializedModel> {
    const j = (await this.inner.toJSON()) as SerializedModel | undefined;
    if (!j || typeof j !== 'object') throw new Error(`${this.who}: toJSON() must return an object, got ${String(j)}`);
    // The file is recorded, so that the saved model can be loaded again.
    return { ...j, family: String(j.family ?? this.family), k: this.inner.k, module: this.module };
  }
}

/** A new model of the module's class, checked. */
export async function createUserModel(path: string, k: number, params: Record<string, unknown>): Promise<Classifier> {
  const Model = await userModelClass(path);
  const m = new Model(k, params);
  for (const method of ['fit', 'predictProba', 'toJSON'] as const)
    if (typeof (m as unknown as Record<string, unknown>)[method] !== 'function')
      throw new Error(`${path}: its model has no ${method}() (the Classifier contract: fit, predictProba, toJSON)`);
  return new CheckedModel(m, path);
}

/** A saved model of the module's class, loaded and checked. */
export async function loadUserModel(j: SerializedModel): Promise<Classifier> {
  const path = String(j.module);
  const Model = await userModelClass(path);
  if (typeof Model.fromJSON !== 'function') throw new Error(`${path}: its model has no static fromJSON() to load a saved model`);
  return new CheckedModel(await Model.fromJSON(j), path);
}
