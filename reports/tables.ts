/**
 * Tables for papers and terminals from a run's results: the leaderboard, per-class figures,
 * per-fold (held-out corpus, speaker group, …) figures and fairness gaps, each as CSV,
 * Markdown, LaTeX (booktabs) or aligned text. Every figure with an interval carries it.
 */
import type { ReportView } from '../harness/stats/verdicts.ts';
import type { Interval } from '../harness/stats/significance.ts';
import { columns, confidenceLabel } from './render.ts';

export const TABLE_KINDS = ['leaderboard', 'per-class', 'per-fold', 'fairness'] as const;
export type TableKind = (typeof TABLE_KINDS)[number];
export const TABLE_FORMATS = ['md', 'csv', 'latex', 'text'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface Table {
  caption: string;
  header: string[];
  rows: string[][];
}

const pct = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? (100 * x).toFixed(1) : '—');
const withCi = (i: { estimate: number; lo: number; hi: number }) => `${pct(i.estimate)} [${pct(i.lo)}, ${pct(i.hi)}]`;

function leaderboard(v: ReportView, conf: string): Table {
  const r = v.results;
  const cols = columns(v.metrics);
  const rankLabel = v.metrics.find((m) => m.key === r.suite.evaluation.rank_by)?.label ?? r.suite.evaluation.rank_by;
  return {
    caption: `${r.suite.title}: models ranked by ${rankLabel} (%, ${conf} intervals; n = test clips)`,
    header: ['#', 'model', 'n', ...cols.map((m) => m.label), '≈ best'],
    rows: r.leaderboard.map((l) => {
      const e = r.models.find((m) => m.name === l.model)!.evaluation;
      const cell = (key: string, format: string) => (format === 'percent' ? withCi(e.headline[key]) : e.headline[key].estimate.toFixed(3));
      return [String(l.rank), l.model, String(e.clips), ...cols.map((m) => cell(m.key, m.format)), l.tied_with_best ? 'yes' : 'no'];
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
  return {
    caption: `${r.suite.title}: ${m.label} per fold (%; n = test clips of the fold)`,
    header: [...(seeds ? ['seed'] : []), ...(modelSeeds ? ['model seed'] : []), 'fold', 'n', ...r.models.map((x) => x.name)],
    rows: folds.map((key) => {
      const [seed, modelSeed, fold] = key.split('|');
      const job = (x: (typeof r.models)[number]) => x.evaluation.per_job.find((j) => `${j.seed}|${j.modelSeed}|${j.fold}` === key);
      const n = r.models.map(job).find((j) => j)?.n ?? 0;
      return [
        ...(seeds ? [seed] : []),
        ...(modelSeeds ? [modelSeed] : []),
        fold,
        String(n),
        ...r.models.map((x) => pct(job(x)?.[m.key] as number | undefined)),
      ];
    }),
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
          String(r.models[0]?.evaluation.per_class[k]?.support ?? 0),
          ...r.models.map((m) => withCi(m.evaluation.per_class[k].recall)),
        ]),
      };
    case 'per-fold':
      return perFold(v);
    case 'fairness':
      return {
        caption: `${r.suite.title}: largest accuracy gap per slice between groups of ≥ ${r.suite.evaluation.min_slice} clips (points; Newcombe interval, Bonferroni over the pairs)`,
        header: ['model', 'slice', 'groups (comparable)', 'best (n)', 'worst (n)', 'gap', 'beyond noise'],
        rows: r.models.flatMap((m) =>
          m.evaluation.slices.map((s) => {
            const g = s.accuracy_gap;
            return [
              m.name,
              s.field,
              `${s.groups.length} (${s.comparable})`,
              g ? `${g.best} (${g.n_best})` : '—',
              g ? `${g.worst} (${g.n_worst})` : '—',
              g ? withCi(g.difference as Interval) : '—',
              g ? (g.beyond_noise ? 'yes' : 'no') : `not tested: ${s.not_tested}`,
            ];
          }),
        ),
      };
  }
}
const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const latexCell = (s: string) =>
  s
    .replace(/([\\&%$#_{}])/g, '\\$1')
    .replace(/~/g, '\\textasciitilde{}')
    .replace(/\^/g, '\\textasciicircum{}');
const mdCell = (s: string) => s.replace(/\|/g, '\\|');

export function formatTable(t: Table, format: TableFormat): string {
  switch (format) {
    case 'csv':
      return [t.header, ...t.rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
    case 'md':
      return (
        [`| ${t.header.map(mdCell).join(' | ')} |`, `|${t.header.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join(
          '\n',
        ) + `\n\n${t.caption}\n`
      );
    case 'latex':
      return [
        '\\begin{table}[t]',
        '\\centering',
        `\\caption{${latexCell(t.caption)}}`,
        `\\begin{tabular}{${t.header.map((_, i) => (i === 0 ? 'l' : 'r')).join('')}}`,
        '\\toprule',
        `${t.header.map(latexCell).join(' & ')} \\\\`,
        '\\midrule',
        ...t.rows.map((r) => `${r.map(latexCell).join(' & ')} \\\\`),
        '\\bottomrule',
        '\\end{tabular}',
        '\\end{table}',
        '',
      ].join('\n');
    case 'text': {
      const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i].length)));
      const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
      return [t.caption, line(t.header), widths.map((w) => '─'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n') + '\n';
    }
  }
}
