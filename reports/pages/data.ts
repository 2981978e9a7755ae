/** The data page (corpora, counts, label mapping, cards, example spectrograms, skipped files) and the provenance page. */
import type { ReportView } from '../../harness/stats/verdicts.ts';
import { template } from '../render.ts';
import * as charts from '../charts.ts';
import { cardOf } from '../../datasets/corpora/cards.ts';

/** Clips per corpus and gender (rows) and class (columns). */
function pivot(v: ReportView) {
  const d = v.results.data;
  const rows = new Map<string, { corpus: string; gender: string; counts: number[]; total: number }>();
  for (const c of d.counts) {
    const key = `${c.corpus}|${c.gender}`;
    const row = rows.get(key) ?? { corpus: c.corpus, gender: c.gender, counts: d.classes.map(() => 0), total: 0 };
    row.counts[d.classes.indexOf(c.emotion)] += c.clips;
    row.total += c.clips;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => a.corpus.localeCompare(b.corpus) || a.gender.localeCompare(b.gender));
}

/** `examples`: the charts of the example spectrograms. */
export async function dataPage(v: ReportView, examples: { svg: string }[]): Promise<string> {
  const d = v.results.data;
  return template('data')({
    data: d,
    pivot: pivot(v),
    examples,
    cards: d.corpora_summary.map((c) => ({ ...c, card: cardOf(c.corpus) })),
    charts: { counts: await charts.renderSvg(charts.dataCounts(d.counts, d.classes)) },
  });
}

export function provenancePage(v: ReportView): string {
  const r = v.results;
  const versionRows = Object.entries(r.environment)
    .filter(([k]) => k !== 'backend')
    .map(([name, value]) => ({ name, value: value ?? '—' }));
  const jobs = r.models.flatMap((m) => m.jobs.map((j) => ({ ...j, model: m.name })));
  return template('provenance')({ ...r, versionRows, jobs });
}
