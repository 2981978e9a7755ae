/**
 * Vega-Lite chart specs for the report, compiled to Vega and rendered to SVG at build time
 * (headless, no browser, no CDN). Each function returns a spec from plain data.
 */
import * as vl from 'vega-lite';
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';
const config = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e5e7eb' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 13, anchor: 'start' as const },
};

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile({ ...spec, config: { ...config, ...(spec as { config?: object }).config } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export function confusionHeatmap(classes: string[], matrix: number[][]): TopLevelSpec {
  const values = matrix.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    return row.map((count, p) => ({ truth: classes[t], predicted: classes[p], count, share: count / total }));
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Confusion matrix (row-normalized)',
    data: { values },
    width: 28 * classes.length,
    height: 28 * classes.length,
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: classes, title: 'predicted', axis: { grid: false } },
      y: { field: 'truth', type: 'nominal', sort: classes, title: 'true', axis: { grid: false } },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'share', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, title: 'share of row' } } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: { text: { field: 'count', type: 'quantitative' }, color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' } },
      },
    ],
  } as TopLevelSpec;
}

export function perClassBars(classes: string[], precision: number[], recall: number[], f1: number[]): TopLevelSpec {
  const values = classes.flatMap((c, i) => [
    { class: c, metric: 'precision', value: precision[i] },
    { class: c, metric: 'recall', value: recall[i] },
    { class: c, metric: 'F1', value: f1[i] },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Per-class precision, recall and F1',
    data: { values },
    width: { step: 12 },
    height: 180,
    mark: 'bar',
    encoding: {
      x: { field: 'metric', type: 'nominal', axis: null },
      xOffset: undefined,
      column: { field: 'class', type: 'nominal', sort: classes, header: { labelOrient: 'bottom', title: null } },
      y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, title: null },
      color: { field: 'metric', type: 'nominal', scale: { scheme: 'tableau10' } },
    },
  } as TopLevelSpec;
}

export function trainingCurves(history: { job: string; epoch: number; loss: number; valLoss?: number }[]): TopLevelSpec {
  const values = history.flatMap((h) => [
    { job: h.job, epoch: h.epoch, split: 'train', loss: h.loss },
    ...(h.valLoss !== undefined ? [{ job: h.job, epoch: h.epoch, split: 'validation', loss: h.valLoss }] : []),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Training curves (cross-entropy)',
    data: { values },
    width: 360,
    height: 200,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' },
      y: { field: 'loss', type: 'quantitative' },
      color: { field: 'split', type: 'nominal' },
      detail: { field: 'job', type: 'nominal' },
    },
  } as TopLevelSpec;
}

export function reliabilityDiagram(
  before: { confidence: number | null; accuracy: number | null; count: number }[],
  after: { confidence: number | null; accuracy: number | null; count: number }[],
): TopLevelSpec {
  const pts = (bins: typeof before, label: string) =>
    bins.filter((b) => b.count > 0).map((b) => ({ confidence: b.confidence, accuracy: b.accuracy, count: b.count, version: label }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Reliability diagram (15 equal-width bins)',
    width: 260,
    height: 260,
    layer: [
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
        mark: { type: 'line', color: '#9ca3af', strokeDash: [4, 4] },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: [...pts(before, 'before temperature scaling'), ...pts(after, 'after temperature scaling')] },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'confidence', type: 'quantitative', scale: { domain: [0, 1] }, title: 'mean confidence in bin' },
          y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 1] }, title: 'accuracy in bin' },
          color: { field: 'version', type: 'nominal', title: null },
          size: { field: 'count', type: 'quantitative', legend: null },
        },
      },
    ],
  } as TopLevelSpec;
}

export function confidenceHistogram(hist: { lo: number; hi: number; correct: number; wrong: number }[]): TopLevelSpec {
  const values = hist.flatMap((h) => [
    { bin: `${h.lo.toFixed(1)}–${h.hi.toFixed(1)}`, answer: 'right', count: h.correct },
    { bin: `${h.lo.toFixed(1)}–${h.hi.toFixed(1)}`, answer: 'wrong', count: h.wrong },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Confidence of right and wrong answers',
    data: { values },
    width: 320,
    height: 180,
    mark: 'bar',
    encoding: {
      x: { field: 'bin', type: 'ordinal', title: 'confidence' },
      y: { field: 'count', type: 'quantitative', stack: true },
      color: { field: 'answer', type: 'nominal', scale: { domain: ['right', 'wrong'], range: ['#16a34a', '#dc2626'] } },
    },
  } as TopLevelSpec;
}

export function sliceDotPlot(
  field: string,
  groups: { group: string; n: number; estimate: number; lo: number; hi: number; small: boolean }[],
  overall: number,
  confidencePct: number,
  metric = 'accuracy',
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${metric} by ${field} (${confidencePct}% bootstrap intervals)`,
    data: { values: groups.map((g) => ({ ...g, label: `${g.group} (n=${g.n})`, size: g.small ? 'small slice' : 'ok' })) },
    width: 320,
    height: { step: 18 },
    layer: [
      {
        mark: 'rule',
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null, title: null },
          x: { field: 'lo', type: 'quantitative', scale: { domain: [0, 1] }, title: metric },
          x2: { field: 'hi' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null },
          x: { field: 'estimate', type: 'quantitative' },
          color: { field: 'size', type: 'nominal', scale: { domain: ['ok', 'small slice'], range: ['#1d4ed8', '#f59e0b'] }, title: null },
        },
      },
      {
        data: { values: [{ overall }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#6b7280' },
        encoding: { x: { field: 'overall', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}

export function leaderboardChart(
  rows: { model: string; uar: number; uar_lo: number; uar_hi: number; tied_with_best: boolean }[],
  confidencePct: number,
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Unweighted average recall (${confidencePct}% bootstrap intervals)`,
    data: { values: rows.map((r) => ({ ...r, status: r.tied_with_best ? 'not significantly worse than the best' : 'significantly worse than the best' })) },
    width: 360,
    height: { step: 22 },
    layer: [
      {
        mark: 'rule',
        encoding: {
          y: { field: 'model', type: 'nominal', sort: null, title: null },
          x: { field: 'uar_lo', type: 'quantitative', scale: { domain: [0, 1] }, title: 'UAR' },
          x2: { field: 'uar_hi' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          y: { field: 'model', type: 'nominal', sort: null },
          x: { field: 'uar', type: 'quantitative' },
          color: { field: 'status', type: 'nominal', title: null, scale: { range: ['#1d4ed8', '#9ca3af'] } },
        },
      },
    ],
  } as TopLevelSpec;
}

export function dataCounts(counts: { corpus: string; emotion: string; gender: string; clips: number }[], classes: string[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Clips per corpus, emotion and gender',
    data: { values: counts },
    mark: 'bar',
    width: { step: 14 },
    height: 160,
    encoding: {
      column: { field: 'corpus', type: 'nominal', title: null },
      x: { field: 'emotion', type: 'nominal', sort: classes, title: null },
      y: { field: 'clips', type: 'quantitative', stack: true },
      color: { field: 'gender', type: 'nominal', scale: { domain: ['female', 'male', 'unknown'], range: ['#db2777', '#2563eb', '#9ca3af'] } },
    },
  } as TopLevelSpec;
}

export function spectrogramImage(title: string, image: Float32Array, height: number, width: number, hopSeconds: number): TopLevelSpec {
  // Downsample time so the SVG stays small: at most 96 columns.
  const step = Math.max(1, Math.ceil(width / 96));
  const values: { t: number; band: number; db: number }[] = [];
  for (let h = 0; h < height; h++) for (let w = 0; w < width; w += step) values.push({ t: +(w * hopSeconds).toFixed(3), band: h, db: image[h * width + w] });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    width: 200,
    height: 90,
    mark: { type: 'rect' },
    encoding: {
      x: {
        field: 't',
        type: 'ordinal',
        scale: { paddingInner: 0, paddingOuter: 0 },
        axis: { title: 'seconds', grid: false, ticks: false, labelExpr: "datum.index % 24 === 0 ? datum.label : ''", labelAngle: 0 },
      },
      y: { field: 'band', type: 'ordinal', sort: 'descending', scale: { paddingInner: 0, paddingOuter: 0 }, axis: null },
      color: { field: 'db', type: 'quantitative', scale: { scheme: 'magma' }, legend: null },
    },
  } as TopLevelSpec;
}
