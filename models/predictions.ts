/**
 * `type: predictions`: a model trained elsewhere (PyTorch, SpeechBrain, EmoBox, another serbench
 * run), brought in as its per-clip class probabilities: a CSV or JSONL with a clip key, one
 * p_<class> (or logit_<class>) column per class, and optional seed, model_seed, fold, split
 * (test / val) and model columns. Nothing is trained: a job reads the rows of its fold. Every row
 * is held to being probabilities of the suite's classes for a clip of the suite, or refused
 * naming the file, the line and the clip.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Batch } from '../core/batch.ts';
import type { Classifier, FitOptions, FitReport, SerializedModel } from './classifier.ts';
import type { PredictionsParams } from './params.ts';
import { mapClasses, rowProbabilities } from './external-outputs.ts';

/** The columns a clip may be named by, in the order they are looked for. */
export const KEY_COLUMNS = ['clip', 'id', 'key', 'path', 'file_name', 'file', 'filename'];
const META = new Set(['seed', 'model_seed', 'fold', 'split', 'model']);

/** One row of the file, as read: where it is, what it names, its outputs in the file's column order. */
interface Row {
  line: number;
  key: string;
  seed?: number;
  modelSeed?: number;
  fold?: string;
  split: 'test' | 'val';
  values: number[];
  /** A serbench predictions.csv's temperature column: the temperature its job fitted. */
  temperature?: number;
}

interface OutputsFile {
  file: string;
  sha256: string;
  kind: 'logits' | 'probabilities';
  /** The classes the columns name, in column order. */
  labels: string[];
  rows: Row[];
  /** The columns it has of seed, model_seed, fold. */
  has: { seed: boolean; modelSeed: boolean; fold: boolean; split: boolean };
}

/** A CSV line split on commas outside quotes (RFC 4180 quotes; the outputs hold no newlines). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '',
    quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') ((cur += '"'), i++);
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (out.push(cur), (cur = ''));
    else cur += ch;
  }
  out.push(cur);
  return out;
}

/** The file's records as objects with their line numbers. */
function records(file: string, text: string): { line: number; fields: Record<string, string> }[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (/\.jsonl$/i.test(file))
    return lines.flatMap((l, i) => {
      if (!l.trim()) return [];
      let o: unknown;
      try {
        o = JSON.parse(l);
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not a JSON object (${(e as Error).message})`);
      }
      if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${file}:${i + 1}: not a JSON object`);
      return [{ line: i + 1, fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? '' : String(v)])) }];
    });
  const header = splitCsv(lines[0] ?? '').map((h) => h.trim());
  return lines.slice(1).flatMap((l, i) => {
    if (!l.trim()) return [];
    const f = splitCsv(l);
    if (f.length !== header.length) throw new Error(`${file}:${i + 2}: ${f.length} fields where the header has ${header.length}`);
    return [{ line: i + 2, fields: Object.fromEntries(header.map((h, j) => [h, f[j].trim()])) }];
  });
}

const cache = new Map<string, OutputsFile>();

/** The file read and checked once per process (memoized on its size and time). */
export function readOutputs(file: string, model?: string): OutputsFile {
  const st = statSync(file);
  const memo = `${file}:${st.size}:${st.mtimeMs}:${model ?? ''}`;
  const hit = cache.get(memo);
  if (hit) return hit;
  const bytes = readFileSync(file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${file}: not UTF-8: save it as UTF-8`);
  }
  const recs = records(file, text);
  if (recs.length === 0) throw new Error(`${file}: no rows`);
  const columns = Object.keys(recs[0].fields);
  const keyColumn = KEY_COLUMNS.find((c) => columns.includes(c));
  if (!keyColumn) throw new Error(`${file}: no column naming the clip (one of ${KEY_COLUMNS.join(', ')})`);
  const p = columns.filter((c) => c.startsWith('p_'));
  const logit = columns.filter((c) => c.startsWith('logit_'));
  if (p.length && logit.length) throw new Error(`${file}: both p_ and logit_ columns; give one kind`);
  if (!p.length && !logit.length) throw new Error(`${file}: no p_<class> or logit_<class> columns`);
  const valueColumns = p.length ? p : logit;
  if (model !== undefined && !columns.includes('model')) throw new Error(`${file}: params.model is set but the file has no model column`);
  const num = (v: string | undefined, what: string, line: number) => {
    if (v === undefined || v === '') return undefined;
    const x = Number(v);
    if (!Number.isInteger(x)) throw new Error(`${file}:${line}: ${what} "${v}" is not a whole number`);
    return x;
  };
  const rows: Row[] = [];
  for (const r of recs) {
    if (model !== undefined && r.fields.model !== model) continue;
    const split = (r.fields.split || 'test').toLowerCase();
    if (split !== 'test' && split !== 'val' && split !== 'validation') throw new Error(`${file}:${r.line}: split "${r.fields.split}" is neither test nor val`);
    const key = r.fields[keyColumn];
    if (!key) throw new Error(`${file}:${r.line}: no clip in column ${keyColumn}`);
    rows.push({
      line: r.line,
      key,
      seed: num(r.fields.seed, 'seed', r.line),
      modelSeed: num(r.fields.model_seed, 'model_seed', r.line),
      fold: r.fields.fold || undefined,
      split: split === 'test' ? 'test' : 'val',
      values: valueColumns.map((c) => (r.fields[c] === '' ? NaN : Number(r.fields[c]))),
      temperature: r.fields.temperature ? Number(r.fields.temperature) : undefined,
    });
  }
  if (rows.length === 0)
    throw new Error(
      `${file}: no rows of model ${model}${columns.includes('model') ? ` (its models: ${[...new Set(recs.map((r) => r.fields.model))].join(', ')})` : ''}`,
    );
  const out: OutputsFile = {
    file,
    sha256: createHash('sha256').update(bytes).digest('hex').slice(0, 32),
    kind: p.length ? 'probabilities' : 'logits',
    labels: valueColumns.map((c) => c.slice(c.indexOf('_') + 1)),
    rows,
    has: { seed: columns.includes('seed'), modelSeed: columns.includes('model_seed'), fold: columns.includes('fold'), split: columns.includes('split') },
  };
  void META;
  cache.set(memo, out);
  return out;
}

/** Check a file's columns against the suite's classes, as a job would (for `validate`). */
export function checkOutputsFile(p: PredictionsParams, classes: string[]): void {
  const f = readOutputs(p.path, p.model);
  mapClasses(f.labels, classes, { dropLabels: p.drop_columns, absentAsZero: false, where: f.file, what: 'columns for' });
}

export class ImportedPredictions implements Classifier {
  readonly family = 'predictions';
  /** The job's rows, by clip id: their probabilities, and the split the file says they are of. */
  private byClip = new Map<string, { probs: number[]; split: 'test' | 'val'; line: number }>();
  private notes: string[] = [];
  private sha256 = '';
  /** The fold's validation clips (the suite's fold decides what is validation and what is test). */
  private valIds = new Set<string>();
  private temperature: number | undefined;

  constructor(
    readonly k: number,
    readonly params: PredictionsParams,
  ) {}

  async fit(_train: Batch, val: Batch | undefined, opts: FitOptions): Promise<FitReport> {
    this.valIds = new Set(val?.ids ?? []);
    const t0 = performance.now();
    const job = opts.job;
    if (!job) throw new Error("predictions: needs the job it serves (its fold and the suite's clips)");
    const f = readOutputs(this.params.path, this.params.model);
    this.sha256 = f.sha256;
    const map = mapClasses(f.labels, job.classes, { dropLabels: this.params.drop_columns, absentAsZero: false, where: f.file, what: 'columns for' });
    this.notes = [`outputs of ${f.file}${this.params.model ? ` (model ${this.params.model})` : ''}, sha256 ${f.sha256}…`, ...map.notes];
    if (f.kind === 'logits') this.notes.push('logit_ columns: softmaxed into probabilities');
    const mine = f.rows.filter(
      (r) =>
        (r.seed === undefined || r.seed === job.seed) &&
        (r.modelSeed === undefined || r.modelSeed === job.modelSeed) &&
        (r.fold === undefined || r.fold === job.fold),
    );
    let renormalized = 0;
    const seen = new Map<string, number>();
    for (const r of mine) {
      const id = job.clipKeys.get(r.key);
      const where = `${f.file}:${r.line} (${r.key})`;
      if (!id)
        throw new Error(
          `${where}: names no clip of the suite (keys: a clip id such as ${[...job.clipKeys.values()][0]}, a path relative to its corpus folder, or a file stem where it is unique)`,
        );
      if (seen.has(id)) throw new Error(`${where}: a second row for ${id} in this fold; the first is on line ${seen.get(id)}`);
      seen.set(id, r.line);
      const { probs, renormalized: changed } = rowProbabilities(r.values, f.kind, map, { renormalize: this.params.renormalize, where });
      if (changed) renormalized++;
      this.byClip.set(id, { probs, split: r.split, line: r.line });
    }
    if (renormalized) this.notes.push(`${renormalized} row(s) did not sum to 1 and were divided by their sum (renormalize: true)`);
    const temps = [...new Set(mine.map((r) => r.temperature))];
    if (temps.length > 1)
      throw new Error(`${f.file}: the temperature column gives ${temps.length} values for one fold (${temps.slice(0, 3).join(', ')}); a fold has one`);
    if (temps[0] !== undefined) {
      if (!(temps[0] > 0 && Number.isFinite(temps[0]))) throw new Error(`${f.file}: temperature ${temps[0]} is not a positive number`);
      this.temperature = temps[0];
      this.notes.push(`temperature ${temps[0]} given with the outputs (its temperature column): used, not fitted again`);
    }
    this.notes.push(
      `${mine.filter((r) => r.split === 'test').length} test and ${mine.filter((r) => r.split === 'val').length} validation row(s) for this fold`,
    );
    return { seconds: (performance.now() - t0) / 1000, parameters: 0, notes: this.notes };
  }

  givenTemperature(): number | undefined {
    return this.temperature;
  }

  /** Whether the file has a row for every clip of `b` (for the validation clips: else temperature scaling is skipped, and said). */
  covers(b: Batch): boolean {
    return (b.ids ?? []).every((id) => this.byClip.has(id));
  }

  async predictProba(b: Batch): Promise<Float32Array> {
    if (!b.ids) throw new Error('predictions: the batch does not name its clips');
    const out = new Float32Array(b.n * this.k);
    b.ids.forEach((id, i) => {
      const row = this.byClip.get(id);
      if (!row) throw new Error(`${this.params.path}: no row for clip ${id} in this fold (every test clip needs one)`);
      // Outputs the file calls validation (its model was chosen on them) are never scored as test.
      if (row.split === 'val' && !this.valIds.has(id))
        throw new Error(`${this.params.path}:${row.line}: the row of ${id} says split val, but the suite's fold tests this clip`);
      out.set(row.probs, i * this.k);
    });
    return out;
  }

  async toJSON(): Promise<SerializedModel> {
    return { family: this.family, k: this.k, params: this.params, sha256: this.sha256 };
  }

  static async fromJSON(j: SerializedModel): Promise<ImportedPredictions> {
    const m = new ImportedPredictions(j.k, j.params as PredictionsParams);
    m.sha256 = String(j.sha256 ?? '');
    return m;
  }
}
