/**
 * Tables for papers and terminals from a run's results: the leaderboard, per-class figures,
 * per-fold (held-out corpus, speaker group, …) figures and fairness gaps, each as CSV,
 * Markdown, LaTeX (booktabs) or aligned text. Every figure with an interval carries it; in CSV
 * an interval is five columns (value, low, high, n, method) of numbers, and what is missing is
 * an empty cell, so that analysis tools read numbers.
 */
import type { ReportView } from '../harness/stats/verdicts.ts';
import type { Interval } from '../harness/stats/significance.ts';
import type { RunComparison } from '../harness/compare-runs.ts';
import { columns, confidenceLabel } from './render.ts';

export const TABLE_KINDS = ['leaderboard', 'per-class', 'per-fold', 'fairness'] as const;
export type TableKind = (typeof TABLE_KINDS)[number];
export const TABLE_FORMATS = ['md', 'csv', 'latex', 'text'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

/** A figure with its interval (proportions), as results.json holds it. */
export interface CiCell {
  estimate: number;
  lo: number;
  hi: number;
  n: number;
  method: string;
}
/** A number, and how it is shown. */
export interface NumberCell {
  value: number;
  text: string;
}
/** A table cell: text, a number, a percentage with its interval, or nothing (missing). */
export type Cell = string | NumberCell | CiCell | null;

export interface Table {
  caption: string;
  header: string[];
  rows: Cell[][];
}

const isCi = (c: Cell): c is CiCell => typeof c === 'object' && c !== null && 'lo' in c;
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const pctText = (x: number) => (finite(x) ? (100 * x).toFixed(1) : '—');
/** A proportion shown as a percentage (null where missing). */
const pct = (x: number | null | undefined): Cell => (finite(x) ? { value: +(100 * x).toFixed(4), text: pctText(x) } : null);
const num = (x: number, digits = 0): NumberCell => ({ value: x, text: x.toFixed(digits) });
const withCi = (i: { estimate: number; lo: number; hi: number; n?: number; method?: string }): CiCell => ({
  estimate: i.estimate,
  lo: i.lo,
  hi: i.hi,
  n: i.n ?? NaN,
  method: i.method ?? '',
});

/** A cell as it is shown in Markdown, LaTeX, text and the site. */
export function cellText(c: Cell): string {
  if (c === null) return '—';
  if (typeof c === 'string') return c;
  if (isCi(c)) return `${pctText(c.estimate)} [${pctText(c.lo)}, ${pctText(c.hi)}]`;
  return c.text;
}

function leaderboard(v: ReportView, conf: string): Table {
  const r = v.results;
  const cols = columns(v.metrics);
  const rankLabel = v.metrics.find((m) => m.key === r.suite.evaluation.rank_by)?.label ?? r.suite.evaluation.rank_by;
  return {
    caption: `${r.suite.title}: models ranked by ${rankLabel} (%, ${conf} intervals; n = test clips)`,
    header: ['#', 'model', 'n', ...cols.map((m) => m.label), '≈ best'],
    rows: r.leaderboard.map((l) => {
      const e = r.models.find((m) => m.name === l.model)!.evaluation;
      const cell = (key: string, format: string): Cell => (format === 'percent' ? withCi(e.headline[key]) : num(e.headline[key].estimate, 3));
      return [num(l.rank), l.model, num(e.clips), ...cols.map((m) => cell(m.key, m.format)), l.tied_with_best ? 'yes' : 'no'];
    }),
  };
}

function perFold(v: ReportView): Table {
  const r = v.results;
  // The per-fold figure is the rank metric's where it is computed per job, else UAR.
  const m = v.metrics.find((x) => x.key === r.suite.evaluation.rank_by && x.perJob) ?? v.metrics.find((x) => x.key === 'uar')!;
  const folds = [...new Set(r.models.flatMap((x) => x.evaluation.per_job.map((j) => `${j.seed}|${j.modelSeed}|${j.fold}`)))];
  const several = (f: (s: string[]) => string) => new Set(folds.map((k) => f(k.split('|')))).size > 1;
  const seeds = several((p) => p[0]),
    modelSeeds = several((p) => (p[1] !== p[0] ? p[1] : ''));
  const lead = (seeds ? 1 : 0) + (modelSeeds ? 1 : 0);
  const rows: Cell[][] = folds.map((key) => {
    const [seed, modelSeed, fold] = key.split('|');
    const job = (x: (typeof r.models)[number]) => x.evaluation.per_job.find((j) => `${j.seed}|${j.modelSeed}|${j.fold}` === key);
    const n = r.models.map(job).find((j) => j)?.n ?? 0;
    return [...(seeds ? [seed] : []), ...(modelSeeds ? [modelSeed] : []), fold, num(n), ...r.models.map((x) => pct(job(x)?.[m.key] as number | undefined))];
  });
  // Over the jobs: their mean ± sd (the spread over folds and seeds; the leaderboard holds the clip-level interval).
  const spread = (x: (typeof r.models)[number]): Cell => {
    const o = x.evaluation.over_jobs[m.key];
    if (!o || o.n < 2) return null;
    return { value: +(100 * o.mean).toFixed(4), text: `${pctText(o.mean)} ± ${(100 * o.sd).toFixed(1)}` };
  };
  if (folds.length > 1) rows.push([...Array(lead).fill(''), `mean ± sd over ${folds.length} jobs`, null, ...r.models.map(spread)]);
  return {
    caption: `${r.suite.title}: ${m.label} per fold (%; n = test clips of the fold; the last row: mean ± sd over the jobs)`,
    header: [...(seeds ? ['seed'] : []), ...(modelSeeds ? ['model seed'] : []), 'fold', 'n', ...r.models.map((x) => x.name)],
    rows,
  };
}

export function buildTable(v: ReportView, kind: TableKind): Table {
  const r = v.results;
  const conf = confidenceLabel(r.suite.evaluation.confidence);
  switch (kind) {
    case 'leaderboard':
      return leaderboard(v, conf);
    case 'per-class':
      return {
        caption: `${r.suite.title}: recall per class (%, ${conf} intervals; n = test clips of the class)`,
        header: ['class', 'n', ...r.models.map((m) => m.name)],
        rows: r.data.classes.map((c, k) => [
          c,
          num(r.models[0]?.evaluation.per_class[k]?.support ?? 0),
          ...r.models.map((m) => withCi(m.evaluation.per_class[k].recall)),
        ]),
      };
    case 'per-fold':
      return perFold(v);
    case 'fairness':
      return {
        caption: `${r.suite.title}: largest accuracy gap per slice between groups of ≥ ${r.suite.evaluation.min_slice} clips (points; Newcombe interval, Bonferroni over the pairs)`,
        header: ['model', 'slice', 'groups', 'comparable', 'best', 'n best', 'worst', 'n worst', 'gap', 'beyond noise'],
        rows: r.models.flatMap((m) =>
          m.evaluation.slices.map((s): Cell[] => {
            const g = s.accuracy_gap;
            return [
              m.name,
              s.field,
              num(s.groups.length),
              num(s.comparable),
              g?.best ?? null,
              g ? num(g.n_best) : null,
              g?.worst ?? null,
              g ? num(g.n_worst) : null,
              g ? withCi(g.difference as Interval) : null,
              g ? (g.beyond_noise ? 'yes' : 'no') : `not tested: ${s.not_tested}`,
            ];
          }),
        ),
      };
  }
}
/** `serbench compare`'s summary: each model of each run against the same model of the baseline run. */
export function comparisonTable(c: RunComparison): Table {
  return {
    caption: `${c.metric} of each run against ${c.baseSummary.name} (%, intervals; the difference is paired over shared test clips where there are any)`,
    header: ['run', 'model', `${c.baseSummary.name} UAR`, 'UAR', 'difference', 'paired clips', 'McNemar p'],
    rows: c.against.flatMap((r) =>
      r.models.map((m): Cell[] => [
        r.run.name,
        m.model,
        m.a ? withCi(m.a.uar) : null,
        m.b ? withCi(m.b.uar) : null,
        m.diff && finite(m.diff.lo) ? withCi({ ...m.diff, n: m.paired, method: 'paired bootstrap' }) : m.diff ? pct(m.diff.estimate) : null,
        num(m.paired),
        m.pvalue !== undefined ? { value: m.pvalue, text: m.pvalue < 1e-4 ? m.pvalue.toExponential(1) : m.pvalue.toFixed(4) } : null,
      ]),
    ),
  };
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
/** LaTeX for a cell's text: its special characters escaped, its symbols in math mode (other characters stay UTF-8, LaTeX's input encoding since 2018). */
const latexCell = (s: string) =>
  s
    .replace(/([\\&%$#_{}])/g, '\\$1')
    .replace(/~/g, '\\textasciitilde{}')
    .replace(/\^/g, '\\textasciicircum{}')
    .replace(/≈/g, '$\\approx$')
    .replace(/±/g, '$\\pm$')
    .replace(/≥/g, '$\\geq$')
    .replace(/≤/g, '$\\leq$')
    .replace(/−/g, '$-$')
    .replace(/—/g, '---')
    .replace(/–/g, '--')
    .replace(/×/g, '$\\times$');
const mdCell = (s: string) => s.replace(/\|/g, '\\|');

/** CSV: an interval column becomes five (value, low, high, n, method), in percent; missing cells are empty. */
function csv(t: Table): string {
  const ciColumn = t.header.map((_, i) => t.rows.some((r) => r[i] !== null && isCi(r[i])));
  const header = t.header.flatMap((h, i) => (ciColumn[i] ? [h, `${h} low`, `${h} high`, `${h} n`, `${h} method`] : [h]));
  const field = (c: Cell, i: number): string[] => {
    if (ciColumn[i]) {
      // A note where a number would be ("too few groups") goes to the method column: the numbers stay numeric.
      if (c === null || !isCi(c)) return ['', '', '', '', typeof c === 'string' ? csvField(c) : ''];
      const p = (x: number) => (finite(x) ? String(+(100 * x).toFixed(4)) : '');
      return [p(c.estimate), p(c.lo), p(c.hi), finite(c.n) ? String(c.n) : '', csvField(c.method)];
    }
    if (c === null) return [''];
    if (typeof c === 'string') return [csvField(c)];
    return [String((c as NumberCell).value)];
  };
  return [header.map(csvField).join(','), ...t.rows.map((r) => r.flatMap(field).join(','))].join('\n') + '\n';
}

export function formatTable(t: Table, format: TableFormat): string {
  const rows = t.rows.map((r) => r.map(cellText));
  switch (format) {
    case 'csv':
      return csv(t);
    case 'md':
      return (
        [`| ${t.header.map(mdCell).join(' | ')} |`, `|${t.header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join(
          '\n',
        ) + `\n\n${t.caption}\n`
      );
    case 'latex':
      return [
        '% needs \\usepackage{booktabs} (\\toprule, \\midrule, \\bottomrule)',
        '\\begin{table}[t]',
        '\\centering',
        `\\caption{${latexCell(t.caption)}}`,
        `\\begin{tabular}{${t.header.map((_, i) => (i === 0 ? 'l' : 'r')).join('')}}`,
        '\\toprule',
        `${t.header.map(latexCell).join(' & ')} \\\\`,
        '\\midrule',
        ...rows.map((r) => `${r.map(latexCell).join(' & ')} \\\\`),
        '\\bottomrule',
        '\\end{tabular}',
        '\\end{table}',
        '',
      ].join('\n');
    case 'text': {
      const widths = t.header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
      return [t.caption, line(t.header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
    }
  }
}
