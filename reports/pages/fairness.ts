/** The fairness page: confounded slices, every model's groups slice by slice, and per model each slice's gaps, groups and equalized odds. */
import type { ReportView } from '../../harness/stats/verdicts.ts';
import type { Interval } from '../../harness/stats/significance.ts';
import type { SliceGroup } from '../../harness/stats/slice-report.ts';
import { intervalLabel, template, confidenceLabel } from '../render.ts';
import * as charts from '../charts.ts';

const accuracyOf = (g: { accuracy: Interval }) => g.accuracy;
/** A group's accuracy as the dot plots draw it. */
const accuracyPoint = (g: SliceGroup) => ({ group: g.group, n: g.n, estimate: g.accuracy.estimate, lo: g.accuracy.lo, hi: g.accuracy.hi, small: g.small });

async function modelSlices(v: ReportView) {
  const r = v.results;
  const confidence = r.suite.evaluation.confidence;
  const sliceMetrics = v.metrics.filter((m) => m.slices);
  const out = [];
  for (const m of r.models) {
    const slices = [];
    for (const s of m.evaluation.slices) {
      const groups = s.groups.map(accuracyPoint);
      slices.push({
        ...s,
        small: s.groups.length - s.comparable,
        // Each group's cells: every slice metric of the table, with its interval where it has one.
        rows: s.groups.map((g) => ({
          ...g,
          cells: sliceMetrics.map((x) => {
            const val = g[x.key];
            const iv = typeof val === 'object' && val !== null && 'estimate' in val ? (val as Interval) : null;
            return {
              percent: x.format === 'percent',
              value: iv ? iv.estimate : val,
              lo: iv?.lo,
              hi: iv?.hi,
              interval: !!iv,
              n: iv && x.interval === 'bootstrap' ? iv.n : null,
            };
          }),
        })),
        chart: await charts.renderSvg(
          charts.sliceDotPlot(
            s.field,
            groups,
            m.evaluation.headline.accuracy.estimate,
            intervalLabel(s.groups[0] ? accuracyOf(s.groups[0]) : { method: 'wilson' }, confidence),
          ),
        ),
      });
    }
    out.push({ name: m.name, slices });
  }
  return out;
}

/** Across models: per slice, every model's group accuracy with its interval, and each group's class mix. */
async function crossModel(v: ReportView) {
  const r = v.results;
  const confidence = r.suite.evaluation.confidence;
  const out = [];
  for (const [f, s] of (r.models[0]?.evaluation.slices ?? []).entries()) {
    const rows = r.models.flatMap((m) => (m.evaluation.slices[f]?.groups ?? []).map((g) => ({ model: m.name, ...accuracyPoint(g) })));
    const mix = s.groups.flatMap((g) => g.class_counts.map((count, c) => ({ group: `${g.group} (n=${g.n})`, class: r.data.classes[c], count })));
    out.push({
      field: s.field,
      chart: await charts.renderSvg(
        charts.crossModelSlice(s.field, rows, 'accuracy', intervalLabel(s.groups[0] ? accuracyOf(s.groups[0]) : { method: 'wilson' }, confidence)),
      ),
      mix: await charts.renderSvg(charts.classMix(s.field, mix, r.data.classes)),
    });
  }
  return out;
}

export async function fairnessPage(v: ReportView): Promise<string> {
  const r = v.results;
  return template('fairness')({
    models: await modelSlices(v),
    crossModel: await crossModel(v),
    confounded: (r.flags ?? []).filter((f) => f.kind === 'confounded'),
    sliceColumns: v.metrics.filter((m) => m.slices).map((m) => m.label),
    confidencePct: confidenceLabel(r.suite.evaluation.confidence),
    minSlice: r.suite.evaluation.min_slice,
  });
}
