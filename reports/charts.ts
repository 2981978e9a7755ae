/**
 * Vega-Lite chart specs for the report, compiled to Vega and rendered to SVG at build time
 * (headless, no browser, no CDN). Each function returns a spec from plain data.
 */
import * as vl from 'vega-lite';
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { hzToMel } from '../datasets/audio/spectral.ts';

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';
const config = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e5e7eb' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 13, anchor: 'start' as const },
};

/**
 * Start the SVG definitions' ids (gradients, clip paths) from the beginning. Charts inline in one
 * page share its id space, so ids count up over a site's build; starting each build afresh makes
 * a site built twice the same bytes.
 */
export const resetChartIds = () => (vega as unknown as { resetSVGDefIds: () => void }).resetSVGDefIds();

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

type ReliabilityBin = { lo: number; hi: number; confidence: number | null; accuracy: number | null; count: number };

/** One panel as netcal draws it: per-bin accuracy bars, the gap to the mean confidence, the diagonal; the bin counts below. */
function reliabilityPanel(bins: ReliabilityBin[], title: string): object {
  const filled = bins.filter((b) => b.count > 0);
  const x = { field: 'lo', type: 'quantitative', scale: { domain: [0, 1] }, title: 'confidence' };
  return {
    vconcat: [
      {
        title,
        width: 220,
        height: 220,
        layer: [
          {
            data: { values: filled.map((b) => ({ lo: b.lo, hi: b.hi, zero: 0, accuracy: b.accuracy, count: b.count })) },
            mark: { type: 'rect', color: '#2563eb', stroke: 'white', strokeWidth: 0.5 },
            encoding: {
              x,
              x2: { field: 'hi' },
              y: { field: 'zero', type: 'quantitative', scale: { domain: [0, 1] }, title: 'accuracy in bin' },
              y2: { field: 'accuracy' },
            },
          },
          // Overconfident bins (confidence above accuracy): a red box above the bar. Underconfident
          // ones: an amber outline over the top of the bar, so that no colours blend.
          ...[
            { over: true, mark: { type: 'rect', color: '#dc2626', opacity: 0.35, stroke: '#dc2626', strokeWidth: 0.5 } },
            { over: false, mark: { type: 'rect', fillOpacity: 0, stroke: '#d97706', strokeWidth: 1.5, strokeDash: [3, 2] } },
          ].map(({ over, mark }) => ({
            data: {
              values: filled
                .filter((b) => b.confidence! > b.accuracy! === over)
                .map((b) => ({ lo: b.lo, hi: b.hi, accuracy: b.accuracy, confidence: b.confidence })),
            },
            mark,
            encoding: {
              x,
              x2: { field: 'hi' },
              y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 1] }, title: 'accuracy in bin' },
              y2: { field: 'confidence' },
            },
          })),
          {
            data: { values: [{ a: 0, b: 1 }] },
            mark: { type: 'rule', color: '#6b7280', strokeDash: [4, 4] },
            encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'a', type: 'quantitative' }, x2: { field: 'b' }, y2: { field: 'b' } },
          },
        ],
      },
      {
        width: 220,
        height: 60,
        data: { values: bins.map((b) => ({ lo: b.lo, hi: b.hi, zero: 0, count: b.count })) },
        mark: { type: 'rect', color: '#6b7280', stroke: 'white', strokeWidth: 0.5 },
        encoding: { x, x2: { field: 'hi' }, y: { field: 'zero', type: 'quantitative', title: 'clips' }, y2: { field: 'count' } },
      },
    ],
  };
}

/** Reliability diagrams before and after temperature scaling, side by side, with the run's ece_bins. */
export function reliabilityDiagram(before: ReliabilityBin[], after: ReliabilityBin[], nBins: number): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Reliability (${nBins} equal-width bins)`,
      subtitle:
        'blue = accuracy in bin; red box = overconfident (mean confidence above accuracy); amber outline = underconfident (below it); grey = clips per bin',
    },
    hconcat: [reliabilityPanel(before, 'raw probabilities'), reliabilityPanel(after, 'after temperature scaling')],
  } as TopLevelSpec;
}

/** Every model's group metric in one chart, with intervals; groups under min_slice drawn faint. */
export function crossModelSlice(
  field: string,
  rows: { model: string; group: string; n: number; estimate: number; lo: number; hi: number; small: boolean }[],
  metric: string,
  intervalLabel: string,
): TopLevelSpec {
  const values = rows.map((r) => ({ ...r, label: `${r.group} (n=${r.n})${r.small ? ' · below min_slice' : ''}` }));
  const y = { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 280 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${metric} by ${field}, every model (${intervalLabel})`,
    data: { values },
    width: 320,
    height: { step: 10 },
    encoding: { y, yOffset: { field: 'model' }, color: { field: 'model', type: 'nominal', title: 'model' } },
    layer: [
      {
        mark: 'rule',
        encoding: {
          x: { field: 'lo', type: 'quantitative', scale: { domain: [0, 1] }, title: metric },
          x2: { field: 'hi' },
          opacity: { condition: { test: 'datum.small', value: 0.3 }, value: 1 },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 40 },
        encoding: { x: { field: 'estimate', type: 'quantitative' }, opacity: { condition: { test: 'datum.small', value: 0.3 }, value: 1 } },
      },
    ],
  } as TopLevelSpec;
}

/** Each group's true class mix (share of its test clips), so a gap can be read against it. */
export function classMix(field: string, rows: { group: string; class: string; count: number }[], classes: string[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Class mix of each ${field} group (test clips)`,
    data: { values: rows },
    width: 320,
    height: { step: 16 },
    mark: 'bar',
    encoding: {
      y: { field: 'group', type: 'nominal', sort: null, title: null, axis: { labelLimit: 280 } },
      x: { field: 'count', type: 'quantitative', stack: 'normalize', title: 'share of the group', axis: { format: '%' } },
      color: { field: 'class', type: 'nominal', sort: classes, scale: { scheme: 'tableau10' }, title: 'class' },
      order: { field: 'class', sort: 'ascending' },
    },
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
  intervalLabel: string,
  metric = 'accuracy',
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${metric} by ${field} (${intervalLabel})`,
    data: { values: groups.map((g) => ({ ...g, label: `${g.group} (n=${g.n})`, size: g.small ? 'below min_slice' : 'comparable' })) },
    width: 320,
    height: { step: 18 },
    layer: [
      {
        mark: 'rule',
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 280 } },
          x: { field: 'lo', type: 'quantitative', scale: { domain: [0, 1] }, title: metric },
          x2: { field: 'hi' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null },
          x: { field: 'estimate', type: 'quantitative' },
          color: { field: 'size', type: 'nominal', scale: { domain: ['comparable', 'below min_slice'], range: ['#1d4ed8', '#d1d5db'] }, title: null },
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
  rows: { model: string; value: number; value_lo: number; value_hi: number; tied_with_best: boolean }[],
  metric: string,
  intervalLabel: string,
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${metric} (${intervalLabel})`,
    data: { values: rows.map((r) => ({ ...r, status: r.tied_with_best ? 'not significantly worse than the best' : 'significantly worse than the best' })) },
    width: 360,
    height: { step: 22 },
    layer: [
      {
        mark: 'rule',
        encoding: {
          y: { field: 'model', type: 'nominal', sort: null, title: null },
          x: { field: 'value_lo', type: 'quantitative', scale: { domain: [0, 1] }, title: metric },
          x2: { field: 'value_hi' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          y: { field: 'model', type: 'nominal', sort: null },
          x: { field: 'value', type: 'quantitative' },
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

/**
 * A log-mel spectrogram drawn from a PNG file (href relative to the page) with a time axis, a
 * frequency axis in Hz at the mel bands' positions (librosa's Slaney mel scale, 0 to sr/2) and a
 * colour bar in dB.
 */
export function spectrogramChart(
  title: string,
  href: string,
  o: { bands: number; seconds: number; sampleRate?: number; lo: number; hi: number },
): TopLevelSpec {
  const n = o.bands;
  let yAxis: object = { title: 'mel band' };
  if (o.sampleRate) {
    const [mLo, mHi] = [hzToMel(0), hzToMel(o.sampleRate / 2)];
    const ticks = [250, 500, 1000, 2000, 4000, 8000, 16000].filter((f) => f < o.sampleRate! / 2);
    const pos = ticks.map((f) => ((hzToMel(f) - mLo) / (mHi - mLo)) * (n + 1) - 1);
    const label = (f: number) => (f >= 1000 ? `${f / 1000}k` : String(f));
    yAxis = {
      title: 'Hz',
      values: pos,
      labelExpr: pos.map((p, i) => `datum.value === ${p} ? '${label(ticks[i])}' : `).join('') + "''",
      grid: false,
    };
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 220,
    height: 110,
    layer: [
      {
        data: { values: [{ t: 0, band: n - 0.5, url: href }] },
        mark: { type: 'image', width: 220, height: 110, aspect: false, align: 'left', baseline: 'top' },
        encoding: {
          x: { field: 't', type: 'quantitative', scale: { domain: [0, o.seconds], nice: false }, title: 'seconds', axis: { grid: false } },
          y: { field: 'band', type: 'quantitative', scale: { domain: [-0.5, n - 0.5], nice: false, zero: false }, axis: yAxis },
          url: { field: 'url', type: 'nominal' },
        },
      },
      {
        // Not drawn: it carries the colour scale, so the legend is the picture's colour bar.
        data: { values: [{ db: o.lo }, { db: o.hi }] },
        mark: { type: 'point', opacity: 0 },
        encoding: {
          x: { datum: 0, type: 'quantitative' },
          y: { datum: 0, type: 'quantitative' },
          color: { field: 'db', type: 'quantitative', scale: { scheme: 'magma', domain: [o.lo, o.hi] }, title: 'dB', legend: { gradientLength: 100 } },
        },
      },
    ],
  } as TopLevelSpec;
}
