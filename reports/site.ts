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
import { RANK_METRIC_NAMES } from '../harness/stats/evaluate.ts';
import { buildTable } from '../harness/tables.ts';
import type { Interval } from '../harness/stats/significance.ts';
import * as charts from './charts.ts';
import { versions } from '../harness/versions.ts';
import { fileComponent } from '../harness/runfolder.ts';
import type { SpectrogramExample } from '../harness/records.ts';
import { spectrogramPng } from './png.ts';
import { cardOf } from '../datasets/cards.ts';

const here = dirname(fileURLToPath(import.meta.url));
const hb = Handlebars.create();
const fmt = (v: unknown, f: (x: number) => string) => (typeof v === 'number' && Number.isFinite(v) ? f(v) : '—');
hb.registerHelper('pct', (v: unknown) => fmt(v, (x) => `${(100 * x).toFixed(1)}%`));
hb.registerHelper('signedPct', (v: unknown) => fmt(v, (x) => `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(1)} pt`));
hb.registerHelper('num', (v: unknown) => fmt(v, (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3))));
hb.registerHelper('pvalue', (v: unknown) => fmt(v, (x) => (x < 1e-4 ? x.toExponential(1) : x.toFixed(4))));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
// File names may hold %XX (fileComponent): a link must encode them again, or the browser decodes them.
hb.registerHelper('uri', (a: unknown) => encodeURIComponent(String(a ?? '')));
hb.registerHelper('join', (a: unknown) => (Array.isArray(a) ? a.join(', ') : ''));
hb.registerHelper('first', (a: unknown) => (Array.isArray(a) ? a[0] : undefined));

/** A template of reports/templates with the report's helpers (pct, num, …). */
export const template = (name: string) => hb.compile(readFileSync(join(here, 'templates', `${name}.hbs`), 'utf8'), { strict: false });
const layout = template('layout');

/** A model's page: one file per model name, injectively (names that differ never share a page). */
export const modelFile = (name: string) => `${fileComponent(name)}.html`;

/** How an interval was formed, for chart titles and notes. */
export function intervalLabel(i: Pick<Interval, 'method'>, confidence: number): string {
  const pct = `${Math.round(100 * confidence)}%`;
  return i.method === 'bootstrap'
    ? `${pct} clip-level bootstrap intervals`
    : i.method === 'clopper-pearson'
      ? `${pct} Clopper–Pearson intervals`
      : `${pct} ${i.method[0].toUpperCase()}${i.method.slice(1)} intervals`;
}

const pts = (x: number) => `${(100 * x).toFixed(1)}`;

function summaryParagraph(r: Results): string {
  const best = r.leaderboard[0];
  const tied = r.leaderboard.filter((l) => l.tied_with_best).map((l) => l.model);
  const data = `${r.data.clips} clips of ${r.data.corpora.join(', ')} (${r.data.speakers} speakers, ${r.data.classes.length} classes)`;
  const protocol = `split by the ${r.suite.protocol} protocol over ${r.suite.seeds.length} seed(s)`;
  if (!best) return `${data}, ${protocol}. No model finished.`;
  const metric = RANK_METRIC_NAMES[best.metric];
  const m = r.models.find((x) => x.name === best.model)!;
  const iv = m.evaluation.headline[best.metric];
  const models = `${r.models.length} model(s) trained; the best ${metric} is ${pts(best.value)}% (${best.model}, ${intervalLabel(iv, r.suite.evaluation.confidence).replace(/s$/, '')} ${pts(best.value_lo)}–${pts(best.value_hi)}%, ${iv.n} test clips)`;
  const tie =
    tied.length > 1
      ? `, and ${tied.filter((t) => t !== best.model).join(', ')} ${tied.length > 2 ? 'are' : 'is'} not significantly worse by a paired test of ${metric}`
      : '';
  return `${data}, ${protocol}. ${models}${tie}.`;
}

function calibrationNotes(r: Results): string[] {
  return r.models.map((m) => {
    const e = m.evaluation;
    const c = e.calibration;
    const t = m.temperature_scaling;
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
    const scaling = t.validation
      ? ` Temperature scaling: ${t.preferred_on_validation === 'scaled' ? 'better' : 'not better'} on validation (ECE ${t.validation.ece_raw.toFixed(3)} → ${t.validation.ece_scaled.toFixed(3)}, ${t.validation.n} clips); on test ECE ${t.test.ece_raw.toFixed(3)} → ${t.test.ece_scaled.toFixed(3)}${t.hurts_on_test ? ': it hurts here, so read the raw probabilities' : ''}.`
      : ' No temperature was fitted (no validation clips, or scaling off).';
    return `${m.name} is ${direction}: ECE ${c.ece.toFixed(3)} raw${confusion}.${scaling}`;
  });
}

/** Per network and job: epochs run, the epoch whose weights were kept, and whether it stopped early. */
function trainingRows(r: Results) {
  return r.models.flatMap((m) =>
    m.jobs
      .filter((j) => j.fit.epochs !== undefined)
      .map((j) => ({
        model: m.name,
        file: modelFile(m.name),
        job: j.id,
        epochs: j.fit.epochs,
        bestEpoch: j.fit.bestEpoch,
        stoppedEarly: (j.fit.notes ?? []).some((n) => n.startsWith('early stop')),
        collapsed: m.flags.some((f) => f.kind === 'collapsed'),
      })),
  );
}

/**
 * The gap a reviewer should read first. Only groups of at least min_slice clips take part; a gap
 * is beyond noise when its own interval (Newcombe, Bonferroni-adjusted for the group pairs it
 * was picked from) excludes 0.
 */
function fairnessNote(r: Results): string {
  const minSlice = r.suite.evaluation.min_slice;
  const gaps = r.models.flatMap((m) => m.evaluation.slices.filter((s) => s.accuracy_gap).map((s) => ({ model: m.name, field: s.field, gap: s.accuracy_gap! })));
  if (gaps.length === 0)
    return `No slice has two groups of at least ${minSlice} clips, so no gap between groups can be stated. Every group is on the Fairness page, the smaller ones greyed.`;
  const largest = (xs: typeof gaps) => xs.reduce((a, b) => (b.gap.difference.estimate > a.gap.difference.estimate ? b : a), xs[0]);
  const beyond = gaps.filter((g) => g.gap.beyond_noise);
  const w = beyond.length ? largest(beyond) : largest(gaps);
  const d = w.gap.difference;
  const head = `The largest accuracy gap ${beyond.length ? 'beyond noise' : `between groups of at least ${minSlice} clips`} is ${pts(d.estimate)} points across ${w.field} for ${w.model}: ${w.gap.best} (n=${w.gap.n_best}) against ${w.gap.worst} (n=${w.gap.n_worst}), ${Math.round(1000 * w.gap.level) / 10}% Newcombe interval [${pts(d.lo)}, ${pts(d.hi)}] points${w.gap.pairs > 1 ? ` (Bonferroni over ${w.gap.pairs} group pairs)` : ''}.`;
  if (w.gap.beyond_noise) return `${head} The interval excludes 0: this gap is larger than noise.`;
  return `${head} The interval includes 0: this gap may be noise. No slice shows an accuracy gap beyond noise.`;
}

async function modelCharts(r: Results, m: ModelResult) {
  const e = m.evaluation;
  const history = m.jobs.flatMap((j) => (j.fit.history ?? []).map((h) => ({ job: j.id, ...h })));
  return {
    confusion: await charts.renderSvg(charts.confusionHeatmap(r.data.classes, e.classification.confusion_matrix)),
    perClass: await charts.renderSvg(
      charts.perClassBars(r.data.classes, e.classification.precision_per_class, e.classification.recall_per_class, e.classification.f1_per_class),
    ),
    reliability: await charts.renderSvg(charts.reliabilityDiagram(e.calibration.bins, e.calibrated.calibration.bins, e.calibration.n_bins)),
    confidence: await charts.renderSvg(charts.confidenceHistogram(e.overconfidence.confidence_histogram)),
    curves: history.length ? await charts.renderSvg(charts.trainingCurves(history)) : null,
  };
}

/** A page in the site's layout without a run's navigation (comparison and collection pages). */
export function renderPage(o: { title: string; suiteTitle: string; root: string; body: string }): string {
  return layout({ ...o, models: [], versions: versions(), created: new Date().toISOString(), page: '', standalone: true });
}

/** Build the site for one run folder into <run>/site (or `outDir`). */
/** Pictures for the site: the run's examples, and each model's most confident errors (made by the report step). */
export interface SitePictures {
  examples: SpectrogramExample[];
  errors?: Map<string, (SpectrogramExample & { predicted: string; confidence: number })[]>;
  /** Why some error pictures are missing, if they are. */
  errorsNote?: string | null;
}

/**
 * A picture as a PNG file under data/spectrograms/ and the chart (axes, colour bar) that shows
 * it; `prefix` is the way from the page to the site's root.
 */
async function pictureChart(outDir: string, ex: SpectrogramExample, title: string, prefix: string): Promise<string> {
  const file = `${fileComponent(ex.clip)}.png`;
  const lo = Math.min(...ex.image),
    hi = Math.max(...ex.image);
  writeFileSync(join(outDir, 'data', 'spectrograms', file), spectrogramPng(ex.image, ex.height, ex.width, lo, hi));
  return charts.renderSvg(
    charts.spectrogramChart(title, `${prefix}data/spectrograms/${encodeURIComponent(file)}`, {
      bands: ex.height,
      seconds: ex.width * ex.hopSeconds,
      sampleRate: ex.sampleRate,
      lo,
      hi,
    }),
  );
}

export async function buildSite(results: Results, runDir: string, pictures: SitePictures = { examples: [] }, outDir = join(runDir, 'site')): Promise<string> {
  const examples = pictures.examples;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'models'), { recursive: true });
  mkdirSync(join(outDir, 'data', 'spectrograms'), { recursive: true });
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
      n: m.evaluation.clips,
      accuracy_lo: m.evaluation.headline.accuracy.lo,
      accuracy_hi: m.evaluation.headline.accuracy.hi,
      f1: m.evaluation.headline.macro_f1.estimate,
      f1_lo: m.evaluation.headline.macro_f1.lo,
      f1_hi: m.evaluation.headline.macro_f1.hi,
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
      training: trainingRows(results),
      fairnessNote: fairnessNote(results),
      leakage: results.data.leakage,
      leakageWarning,
      failures: results.failures,
      flags: (results.flags ?? []).map((f) => ({ ...f, file: f.model ? modelFile(f.model) : null })),
      tables: results.models.length ? [buildTable(results, 'per-class'), buildTable(results, 'per-fold')] : [],
      confidencePct: Math.round(100 * results.suite.evaluation.confidence),
      metric: RANK_METRIC_NAMES[results.suite.evaluation.rank_by],
      metricKey: results.suite.evaluation.rank_by,
      rankInterval: results.models[0]
        ? intervalLabel(results.models[0].evaluation.headline[results.suite.evaluation.rank_by], results.suite.evaluation.confidence)
        : '',
      accuracyInterval: results.models[0] ? intervalLabel(results.models[0].evaluation.headline.accuracy, results.suite.evaluation.confidence) : '',
      charts: {
        leaderboard: results.leaderboard.length
          ? await charts.renderSvg(
              charts.leaderboardChart(
                results.leaderboard,
                RANK_METRIC_NAMES[results.suite.evaluation.rank_by],
                intervalLabel(results.models[0].evaluation.headline[results.suite.evaluation.rank_by], results.suite.evaluation.confidence),
              ),
            )
          : '',
      },
    }),
  );

  for (const m of results.models) {
    const flags = (results.flags ?? []).filter((f) => f.model === m.name);
    page(
      join('models', modelFile(m.name)),
      '../',
      modelFile(m.name),
      m.name,
      template('model')({
        m,
        e: m.evaluation,
        jobs: m.jobs.map((j) => {
          const own = m.evaluation.per_job.find((x) => x.seed === j.seed && x.modelSeed === j.modelSeed && x.fold === j.fold);
          return { ...j, uar: own?.uar, accuracy: own?.accuracy };
        }),
        t: m.temperature_scaling,
        flags,
        severalJobs: m.evaluation.jobs > 1,
        errorPictures: await Promise.all(
          (pictures.errors?.get(m.name) ?? []).map(async (ex) => ({
            svg: await pictureChart(outDir, ex, `${ex.clip}: ${ex.emotion} taken for ${ex.predicted} (${ex.confidence.toFixed(2)})`, '../'),
          })),
        ),
        errorsNote: pictures.errorsNote,
        recallInterval: intervalLabel(m.evaluation.per_class[0]?.recall ?? { method: 'wilson' }, results.suite.evaluation.confidence),
        charts: await modelCharts(results, m),
      }),
    );
  }

  const confidence = results.suite.evaluation.confidence;
  const fairnessModels = [];
  for (const m of results.models) {
    const slices = [];
    for (const s of m.evaluation.slices) {
      const groups = s.groups.map((g) => ({ group: g.group, n: g.n, estimate: g.accuracy.estimate, lo: g.accuracy.lo, hi: g.accuracy.hi, small: g.small }));
      slices.push({
        ...s,
        small: s.groups.length - s.comparable,
        chart: await charts.renderSvg(
          charts.sliceDotPlot(
            s.field,
            groups,
            m.evaluation.headline.accuracy.estimate,
            intervalLabel(s.groups[0]?.accuracy ?? { method: 'wilson' }, confidence),
          ),
        ),
      });
    }
    fairnessModels.push({ name: m.name, slices });
  }
  // Across models: per slice, every model's group accuracy with its interval, and each group's class mix.
  const crossModel = [];
  for (const [f, s] of (results.models[0]?.evaluation.slices ?? []).entries()) {
    const rows = results.models.flatMap((m) =>
      (m.evaluation.slices[f]?.groups ?? []).map((g) => ({
        model: m.name,
        group: g.group,
        n: g.n,
        estimate: g.accuracy.estimate,
        lo: g.accuracy.lo,
        hi: g.accuracy.hi,
        small: g.small,
      })),
    );
    const mix = s.groups.flatMap((g) => g.class_counts.map((count, c) => ({ group: `${g.group} (n=${g.n})`, class: results.data.classes[c], count })));
    crossModel.push({
      field: s.field,
      chart: await charts.renderSvg(
        charts.crossModelSlice(s.field, rows, 'accuracy', intervalLabel(s.groups[0]?.accuracy ?? { method: 'wilson' }, confidence)),
      ),
      mix: await charts.renderSvg(charts.classMix(s.field, mix, results.data.classes)),
    });
  }
  const confounded = (results.flags ?? []).filter((f) => f.kind === 'confounded');
  page(
    'fairness.html',
    '',
    'fairness',
    'Fairness',
    template('fairness')({
      models: fairnessModels,
      crossModel,
      confounded,
      confidencePct: Math.round(100 * results.suite.evaluation.confidence),
      minSlice: results.suite.evaluation.min_slice,
    }),
  );

  const exampleSvgs = [];
  for (const ex of examples) exampleSvgs.push({ svg: await pictureChart(outDir, ex, `${ex.corpus} · ${ex.emotion}`, '') });
  const cards = results.data.corpora_summary.map((c) => ({ ...c, card: cardOf(c.corpus) }));
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
      cards,
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
