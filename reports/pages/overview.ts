/** The overview page: the summary, the leaderboard, per-class and per-fold tables, comparisons, flags, calibration and fairness in brief, the leakage audit. */
import type { ReportView, CalibrationVerdict } from '../../harness/stats/verdicts.ts';
import { intervalLabel, modelFile, template, columns, listed, confidenceLabel } from '../render.ts';
import { buildTable, cellText, type Table } from '../tables.ts';
import * as charts from '../charts.ts';

/** A table's cells as the page shows them. */
const shown = (t: Table) => ({ ...t, rows: t.rows.map((r) => r.map(cellText)) });

const pts = (x: number) => `${(100 * x).toFixed(1)}`;

function summaryParagraph(v: ReportView): string {
  const r = v.results;
  const best = r.leaderboard[0];
  const tied = r.leaderboard.filter((l) => l.tied_with_best).map((l) => l.model);
  const data = `${r.data.clips} clips of ${r.data.corpora.join(', ')} (${r.data.speakers} speakers, ${r.data.classes.length} classes)`;
  const protocol = `split by the ${r.suite.protocol} protocol over ${r.suite.seeds.length} seed(s)`;
  if (!best) return `${data}, ${protocol}. No model finished.`;
  const metric = v.metrics.find((m) => m.key === best.metric)!.label;
  const m = r.models.find((x) => x.name === best.model)!;
  const iv = m.evaluation.headline[best.metric];
  const models = `${r.models.length} model(s) trained; the best ${metric} is ${pts(best.value)}% (${best.model}, ${intervalLabel(iv, r.suite.evaluation.confidence).replace(/s$/, '')} ${pts(best.value_lo)}–${pts(best.value_hi)}%, ${iv.n} test clips)`;
  const tie =
    tied.length > 1
      ? `, and ${tied.filter((t) => t !== best.model).join(', ')} ${tied.length > 2 ? 'are' : 'is'} not significantly worse by a paired test of ${metric}`
      : '';
  return `${data}, ${protocol}. ${models}${tie}.`;
}

const direction: Record<CalibrationVerdict, (against: string) => string> = {
  overconfident: (a) => `overconfident (${a})`,
  underconfident: (a) => `underconfident (${a})`,
  calibrated: (a) => `well calibrated on average and per bin (${a})`,
  'off-within-bins': (a) => `right on average (${a}) but off within confidence bins`,
};

function calibrationNotes(v: ReportView): string[] {
  return v.results.models.map((m, i) => {
    const e = m.evaluation;
    const c = e.calibration;
    const t = m.temperature_scaling;
    const against = `mean confidence ${(100 * c.mean_confidence).toFixed(0)}% against ${(100 * e.classification.accuracy).toFixed(0)}% accuracy`;
    const top = e.overconfidence.confusions[0];
    const confusion = top
      ? `; its most confident confusion is ${top.truth} taken for ${top.predicted} (${top.count}×, mean confidence ${top.mean_confidence.toFixed(2)})`
      : '';
    const scaling = t.validation
      ? ` Temperature scaling: ${t.preferred_on_validation === 'scaled' ? 'better' : 'not better'} on validation (ECE ${t.validation.ece_raw.toFixed(3)} → ${t.validation.ece_scaled.toFixed(3)}, ${t.validation.n} clips); on test ECE ${t.test.ece_raw.toFixed(3)} → ${t.test.ece_scaled.toFixed(3)}${t.hurts_on_test ? ': it hurts here, so read the raw probabilities' : ''}.`
      : ' No temperature was fitted (no validation clips, or scaling off).';
    return `${m.name} is ${direction[v.verdicts.models[i].calibration](against)}: ECE ${c.ece.toFixed(3)} raw${confusion}.${scaling}`;
  });
}

/** Per network and job: epochs run, the epoch whose weights were kept, and whether it stopped early. */
function trainingRows(v: ReportView) {
  return v.results.models.flatMap((m, i) =>
    m.jobs
      .filter((j) => j.fit.epochs !== undefined)
      .map((j) => ({
        model: m.name,
        file: modelFile(m.name),
        job: j.id,
        epochs: j.fit.epochs,
        bestEpoch: j.fit.bestEpoch,
        stoppedEarly: v.verdicts.models[i].stopped_early[j.id],
        collapsed: v.verdicts.models[i].collapsed,
      })),
  );
}

function fairnessNote(v: ReportView): string {
  const minSlice = v.results.suite.evaluation.min_slice;
  const w = v.verdicts.fairness;
  if (!w)
    return `No slice has two groups of at least ${minSlice} clips, so no gap between groups can be stated. Every group is on the Fairness page, the smaller ones greyed.`;
  const d = w.gap.difference;
  const head = `The largest accuracy gap ${w.any_beyond_noise ? 'beyond noise' : `between groups of at least ${minSlice} clips`} is ${pts(d.estimate)} points across ${w.field} for ${w.model}: ${w.gap.best} (n=${w.gap.n_best}) against ${w.gap.worst} (n=${w.gap.n_worst}), ${Math.round(1000 * w.gap.level) / 10}% Newcombe interval [${pts(d.lo)}, ${pts(d.hi)}] points${w.gap.pairs > 1 ? ` (Bonferroni over ${w.gap.pairs} group pairs)` : ''}.`;
  if (w.gap.beyond_noise) return `${head} The interval excludes 0: this gap is larger than noise.`;
  return `${head} The interval includes 0: this gap may be noise. No slice shows an accuracy gap beyond noise.`;
}

/** The leaderboard's rows: each metric of the table as a cell, then each value after temperature scaling. */
function leaderboardRows(v: ReportView) {
  const cols = columns(v.metrics);
  return v.results.leaderboard.map((l) => {
    const m = v.results.models.find((x) => x.name === l.model)!;
    const e = m.evaluation;
    return {
      ...l,
      file: modelFile(l.model),
      family: m.family,
      features: m.normalize ? `${m.features} (${m.normalize.replace('_', ' ')})` : m.features,
      n: e.clips,
      cells: cols.map((c) => ({ ...e.headline[c.key], percent: c.format === 'percent' })),
      scaled: cols.filter((c) => c.after_scaling).map((c) => (e.calibrated.calibration as unknown as Record<string, number>)[c.key]),
    };
  });
}

/** "UAR, macro F1 and ECE carry 95% clip-level bootstrap intervals; accuracy carries 95% Wilson intervals." */
function intervalNote(v: ReportView): string {
  const r = v.results;
  const model = r.models[0];
  if (!model) return '';
  const byLabel = new Map<string, string[]>();
  for (const c of columns(v.metrics)) {
    const label = intervalLabel(model.evaluation.headline[c.key], r.suite.evaluation.confidence);
    byLabel.set(label, [...(byLabel.get(label) ?? []), c.label]);
  }
  return `${[...byLabel].map(([label, names]) => `${listed(names)} ${names.length > 1 ? 'carry' : 'carries'} ${label}`).join('; ')}.`;
}

export async function overviewPage(v: ReportView): Promise<string> {
  const r = v.results;
  const rankBy = r.suite.evaluation.rank_by;
  const metric = v.metrics.find((m) => m.key === rankBy)?.label ?? rankBy;
  const cols = columns(v.metrics);
  return template('overview')({
    suite: r.suite,
    summary: summaryParagraph(v),
    columns: cols.map((c) => ({ label: c.label, ranked: c.key === rankBy })),
    scaledColumns: cols.filter((c) => c.after_scaling).map((c) => `${c.label} after T`),
    leaderboard: leaderboardRows(v),
    intervalNote: intervalNote(v),
    comparisons: r.comparisons,
    calibrationNotes: calibrationNotes(v),
    training: trainingRows(v),
    fairnessNote: fairnessNote(v),
    leakage: r.data.leakage,
    splitNotes: r.data.split_notes ?? [],
    leakageWarning: v.verdicts.speaker_dependent
      ? 'Some test speakers were also heard in training: these numbers are speaker-dependent and overstate how the models do on new voices.'
      : '',
    failures: r.failures,
    flags: (r.flags ?? []).map((f) => ({ ...f, file: f.model ? modelFile(f.model) : null })),
    tables: r.models.length ? [buildTable(v, 'per-class'), buildTable(v, 'per-fold')].map(shown) : [],
    confidencePct: confidenceLabel(r.suite.evaluation.confidence),
    metric,
    charts: {
      leaderboard: r.leaderboard.length
        ? await charts.renderSvg(
            charts.leaderboardChart(r.leaderboard, metric, intervalLabel(r.models[0].evaluation.headline[rankBy], r.suite.evaluation.confidence)),
          )
        : '',
    },
  });
}
