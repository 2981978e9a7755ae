/** A model's page: its metric cards, confusion and per-class figures, calibration and overconfidence, the pictures of its most confident errors, its training. */
import type { ReportView } from '../../harness/stats/verdicts.ts';
import type { ModelResult } from '../../harness/stats/evaluate-run.ts';
import { intervalLabel, template, columns } from '../render.ts';
import * as charts from '../charts.ts';

async function modelCharts(v: ReportView, m: ModelResult) {
  const e = m.evaluation;
  const history = m.jobs.flatMap((j) => (j.fit.history ?? []).map((h) => ({ job: j.id, ...h })));
  return {
    confusion: await charts.renderSvg(charts.confusionHeatmap(v.results.data.classes, e.classification.confusion_matrix)),
    perClass: await charts.renderSvg(
      charts.perClassBars(v.results.data.classes, e.classification.precision_per_class, e.classification.recall_per_class, e.classification.f1_per_class),
    ),
    reliability: await charts.renderSvg(charts.reliabilityDiagram(e.calibration.bins, e.calibrated.calibration.bins, e.calibration.n_bins)),
    confidence: await charts.renderSvg(charts.confidenceHistogram(e.overconfidence.confidence_histogram)),
    curves: history.length ? await charts.renderSvg(charts.trainingCurves(history)) : null,
  };
}

/** The body of a model's page; `errorPictures` are the charts of its most confident errors, `errorsNote` why some are missing. */
export async function modelPage(v: ReportView, m: ModelResult, errorPictures: { svg: string }[], errorsNote: string | null | undefined): Promise<string> {
  const e = m.evaluation;
  const scaled = e.calibrated.calibration as unknown as Record<string, number>;
  return template('model')({
    m,
    e,
    cards: columns(v.metrics).map((c) => ({
      label: c.label,
      format: c.format,
      value: e.headline[c.key],
      hasScaled: c.after_scaling,
      scaled: c.after_scaling ? scaled[c.key] : undefined,
    })),
    jobs: m.jobs.map((j) => {
      const own = e.per_job.find((x) => x.seed === j.seed && x.modelSeed === j.modelSeed && x.fold === j.fold);
      return { ...j, uar: own?.uar, accuracy: own?.accuracy };
    }),
    t: m.temperature_scaling,
    // Why no temperature was fitted, where a job says more than "no validation clips" (outputs brought without them).
    noScaling: [...new Set(m.jobs.filter((j) => !j.validation && !j.temperatureFoundBy.startsWith('no validation clips')).map((j) => j.temperatureFoundBy))],
    flags: (v.results.flags ?? []).filter((f) => f.model === m.name),
    severalJobs: e.jobs > 1,
    errorPictures,
    errorsNote,
    recallInterval: intervalLabel(e.per_class[0]?.recall ?? { method: 'wilson' }, v.results.suite.evaluation.confidence),
    charts: await modelCharts(v, m),
  });
}
