/**
 * The static report site: handlebars pages with Vega-Lite charts rendered to inline SVG at
 * build time. The folder opens from disk and on any static host: no script, no CDN.
 * Everything a user supplied reaches the page through handlebars' escaping ({{…}}); only our
 * own SVG is inserted raw ({{{…}}}), and vega escapes the text inside it.
 */
import Handlebars from 'handlebars';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Results, ModelResult } from '../harness/results.ts';
import * as charts from './charts.ts';
import { versions } from '../harness/versions.ts';

const here = dirname(fileURLToPath(import.meta.url));
const hb = Handlebars.create();
const fmt = (v: unknown, f: (x: number) => string) => (typeof v === 'number' && Number.isFinite(v) ? f(v) : '—');
hb.registerHelper('pct', (v: unknown) => fmt(v, (x) => `${(100 * x).toFixed(1)}%`));
hb.registerHelper('signedPct', (v: unknown) => fmt(v, (x) => `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(1)} pt`));
hb.registerHelper('num', (v: unknown) => fmt(v, (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3))));
hb.registerHelper('pvalue', (v: unknown) => fmt(v, (x) => (x < 1e-4 ? x.toExponential(1) : x.toFixed(4))));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hb.registerHelper('join', (a: unknown) => (Array.isArray(a) ? a.join(', ') : ''));
hb.registerHelper('first', (a: unknown) => (Array.isArray(a) ? a[0] : undefined));

/** A template of reports/templates with the report's helpers (pct, num, …). */
export const template = (name: string) => hb.compile(readFileSync(join(here, 'templates', `${name}.hbs`), 'utf8'), { strict: false });
const layout = template('layout');

export const modelFile = (name: string) => `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.html`;

export interface SpectrogramExample {
  corpus: string;
  emotion: string;
  clip: string;
  height: number;
  width: number;
  hopSeconds: number;
  image: number[];
}

function summaryParagraph(r: Results): string {
  const best = r.leaderboard[0];
  const tied = r.leaderboard.filter((l) => l.tied_with_best).map((l) => l.model);
  const data = `${r.data.clips} clips of ${r.data.corpora.join(', ')} (${r.data.speakers} speakers, ${r.data.classes.length} classes)`;
  const protocol = `split by the ${r.suite.protocol} protocol over ${r.suite.seeds.length} seed(s)`;
  if (!best) return `${data}, ${protocol}. No model finished.`;
  const models = `${r.models.length} model(s) trained; the best UAR is ${(100 * best.uar).toFixed(1)}% (${best.model}, ${Math.round(100 * r.suite.evaluation.confidence)}% interval ${(100 * best.uar_lo).toFixed(1)}–${(100 * best.uar_hi).toFixed(1)}%)`;
  const tie = tied.length > 1 ? `, and ${tied.filter((t) => t !== best.model).join(', ')} ${tied.length > 2 ? 'are' : 'is'} not significantly worse` : '';
  return `${data}, ${protocol}. ${models}${tie}.`;
}

function calibrationNotes(r: Results): string[] {
  return r.models.map((m) => {
    const e = m.evaluation;
    const c = e.calibration;
    const over = c.mean_confidence - e.classification.accuracy;
    const against = `mean confidence ${(100 * c.mean_confidence).toFixed(0)}% against ${(100 * e.classification.accuracy).toFixed(0)}% accuracy`;
    // The sign of confidence − accuracy says over or under; ECE says how far off the bins are,
    // which can be large even when the averages agree (too sure in some bins, too unsure in others).
    const direction =
      over > 0.02
        ? `overconfident (${against})`
        : over < -0.02
          ? `underconfident (${against})`
          : c.ece < 0.05
            ? `well calibrated on average and per bin (${against})`
            : `right on average (${against}) but off within confidence bins`;
    const top = e.overconfidence.confusions[0];
    const confusion = top
      ? `; its most confident confusion is ${top.truth} taken for ${top.predicted} (${top.count}×, mean confidence ${top.mean_confidence.toFixed(2)})`
      : '';
    return `${m.name} is ${direction}: ECE ${c.ece.toFixed(3)}, ${e.calibrated.calibration.ece.toFixed(3)} after temperature scaling${confusion}.`;
  });
}

/**
 * The gap a reviewer should read first: the largest gap beyond noise if any; else the largest
 * between groups big enough to compare; else the largest of all, said to be from small groups.
 */
function fairnessNote(r: Results): string {
  const pct = Math.round(100 * r.suite.evaluation.confidence);
  const gaps = r.models.flatMap((m) =>
    m.evaluation.slices
      .filter((s) => s.groups.length > 1)
      .map((s) => ({
        model: m.name,
        field: s.field,
        gap: s.accuracy_gap,
        group: s.worst_group,
        beyond: s.gap_beyond_noise,
        small: s.groups.some((g) => g.small),
      })),
  );
  if (gaps.length === 0) return 'No slice has two or more groups.';
  const largest = (xs: typeof gaps) => xs.reduce((a, b) => (b.gap > a.gap ? b : a), xs[0]);
  const beyond = gaps.filter((g) => g.beyond);
  const solid = gaps.filter((g) => !g.small);
  const w = beyond.length ? largest(beyond) : solid.length ? largest(solid) : largest(gaps);
  const head = `The largest accuracy gap ${beyond.length ? 'beyond noise ' : ''}is ${(100 * w.gap).toFixed(1)} points across ${w.field} for ${w.model}; the worst group is ${w.group}.`;
  if (w.beyond) return `${head} The best and worst groups' ${pct}% intervals do not overlap: this gap is larger than noise.`;
  return `${head} The groups' ${pct}% intervals overlap: this gap may be noise.${w.small ? ` Some groups are smaller than ${r.suite.evaluation.min_slice} clips.` : ''} No slice shows a gap beyond noise.`;
}

async function modelCharts(r: Results, m: ModelResult) {
  const e = m.evaluation;
  const history = m.jobs.flatMap((j) => (j.fit.history ?? []).map((h) => ({ job: j.id, ...h })));
  return {
    confusion: await charts.renderSvg(charts.confusionHeatmap(r.data.classes, e.classification.confusion_matrix)),
    perClass: await charts.renderSvg(
      charts.perClassBars(r.data.classes, e.classification.precision_per_class, e.classification.recall_per_class, e.classification.f1_per_class),
    ),
    reliability: await charts.renderSvg(charts.reliabilityDiagram(e.calibration.bins, e.calibrated.calibration.bins)),
    confidence: await charts.renderSvg(charts.confidenceHistogram(e.overconfidence.confidence_histogram)),
    curves: history.length ? await charts.renderSvg(charts.trainingCurves(history)) : null,
  };
}

/** A page in the site's layout without a run's navigation (comparison and collection pages). */
export function renderPage(o: { title: string; suiteTitle: string; root: string; body: string }): string {
  return layout({ ...o, models: [], versions: versions(), created: new Date().toISOString(), page: '', standalone: true });
}

/** Build the site for one run folder into <run>/site (or `outDir`). */
export async function buildSite(results: Results, runDir: string, examples: SpectrogramExample[] = [], outDir = join(runDir, 'site')): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'models'), { recursive: true });
  mkdirSync(join(outDir, 'data'), { recursive: true });
  copyFileSync(join(here, 'style.css'), join(outDir, 'style.css'));
  for (const f of ['results.json', 'predictions.csv', 'results.schema.json'])
    if (existsSync(join(runDir, f))) copyFileSync(join(runDir, f), join(outDir, 'data', f));
  if (existsSync(join(runDir, 'slices'))) cpSync(join(runDir, 'slices'), join(outDir, 'data', 'slices'), { recursive: true });

  const models = results.models.map((m) => ({ name: m.name, file: modelFile(m.name) }));
  const common = { suiteTitle: results.suite.title, models, versions: results.environment, created: results.created };
  const page = (file: string, root: string, pageId: string, title: string, body: string) =>
    writeFileSync(join(outDir, file), layout({ ...common, root, page: pageId, title, body }));

  const leaderboard = results.leaderboard.map((l) => {
    const m = results.models.find((x) => x.name === l.model)!;
    return {
      ...l,
      file: modelFile(l.model),
      family: m.family,
      features: m.features,
      accuracy_lo: m.evaluation.headline.accuracy.lo,
      accuracy_hi: m.evaluation.headline.accuracy.hi,
      f1: m.evaluation.headline.macro_f1.estimate,
      ece_after: m.evaluation.calibrated.calibration.ece,
    };
  });
  const leakageWarning = results.data.leakage.some((l) => !l.speakerIndependent)
    ? 'Some test speakers were also heard in training: these numbers are speaker-dependent and overstate how the models do on new voices.'
    : '';
  page(
    'index.html',
    '',
    'overview',
    'Overview',
    template('overview')({
      suite: results.suite,
      summary: summaryParagraph(results),
      leaderboard,
      comparisons: results.comparisons,
      calibrationNotes: calibrationNotes(results),
      fairnessNote: fairnessNote(results),
      leakage: results.data.leakage,
      leakageWarning,
      failures: results.failures,
      confidencePct: Math.round(100 * results.suite.evaluation.confidence),
      charts: {
        leaderboard: results.leaderboard.length
          ? await charts.renderSvg(charts.leaderboardChart(results.leaderboard, Math.round(100 * results.suite.evaluation.confidence)))
          : '',
      },
    }),
  );

  for (const m of results.models) {
    page(join('models', modelFile(m.name)), '../', modelFile(m.name), m.name, template('model')({ m, e: m.evaluation, charts: await modelCharts(results, m) }));
  }

  const fairnessModels = [];
  for (const m of results.models) {
    const slices = [];
    for (const s of m.evaluation.slices) {
      const groups = s.groups.map((g) => ({ group: g.group, n: g.n, estimate: g.accuracy.estimate, lo: g.accuracy.lo, hi: g.accuracy.hi, small: g.small }));
      slices.push({
        ...s,
        chart: await charts.renderSvg(
          charts.sliceDotPlot(s.field, groups, m.evaluation.headline.accuracy.estimate, Math.round(100 * results.suite.evaluation.confidence)),
        ),
      });
    }
    fairnessModels.push({ name: m.name, slices });
  }
  page(
    'fairness.html',
    '',
    'fairness',
    'Fairness',
    template('fairness')({
      models: fairnessModels,
      confidencePct: Math.round(100 * results.suite.evaluation.confidence),
      minSlice: results.suite.evaluation.min_slice,
    }),
  );

  const exampleSvgs = [];
  for (const ex of examples) {
    exampleSvgs.push({
      svg: await charts.renderSvg(charts.spectrogramImage(`${ex.corpus} · ${ex.emotion}`, Float32Array.from(ex.image), ex.height, ex.width, ex.hopSeconds)),
    });
  }
  // Clips per corpus and gender (rows) and class (columns).
  const pivotRows = new Map<string, { corpus: string; gender: string; counts: number[]; total: number }>();
  for (const c of results.data.counts) {
    const key = `${c.corpus}|${c.gender}`;
    const row = pivotRows.get(key) ?? { corpus: c.corpus, gender: c.gender, counts: results.data.classes.map(() => 0), total: 0 };
    row.counts[results.data.classes.indexOf(c.emotion)] += c.clips;
    row.total += c.clips;
    pivotRows.set(key, row);
  }
  const pivot = [...pivotRows.values()].sort((a, b) => a.corpus.localeCompare(b.corpus) || a.gender.localeCompare(b.gender));
  page(
    'data.html',
    '',
    'data',
    'Data',
    template('data')({
      data: results.data,
      pivot,
      examples: exampleSvgs,
      charts: { counts: await charts.renderSvg(charts.dataCounts(results.data.counts, results.data.classes)) },
    }),
  );

  const versionRows = Object.entries(results.environment)
    .filter(([k]) => k !== 'backend')
    .map(([name, value]) => ({ name, value: value ?? '—' }));
  const jobs = results.models.flatMap((m) => m.jobs.map((j) => ({ ...j, model: m.name })));
  page('provenance.html', '', 'provenance', 'Provenance', template('provenance')({ ...results, versionRows, jobs }));
  return outDir;
}
