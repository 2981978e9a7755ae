/**
 * The static report site of a run: handlebars pages (reports/pages/) with Vega-Lite charts
 * rendered to inline SVG at build time. The folder opens from disk and on any static host: no
 * script, no CDN. It is built from a ReportView (harness/stats/verdicts.ts): the results, the
 * metric table's columns and the verdicts; nothing here decides what a number means.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { ReportView } from '../harness/stats/verdicts.ts';
import type { SpectrogramExample } from '../harness/run-folder/records.ts';
import { here, layout, modelFile } from './render.ts';
import * as charts from './charts.ts';
import { boundedComponent } from '../core/file-names.ts';
import { spectrogramPng } from './png.ts';
import { overviewPage } from './pages/overview.ts';
import { modelPage } from './pages/model.ts';
import { fairnessPage } from './pages/fairness.ts';
import { dataPage, provenancePage } from './pages/data.ts';

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
  const file = `${boundedComponent(ex.clip)}.png`;
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

/** The file that marks a folder as a site serbench built: only such a folder (or an empty one) is ever replaced. */
export const SITE_MARK = '.serbench-site';

/**
 * Whether `outDir` may be emptied for a new site: it must not be the run folder or hold it, and it
 * must be new, empty, or a site serbench built (its mark, or the layout of sites built before
 * marks existed). Anything else is refused: its files are someone's.
 */
export function checkSiteFolder(runDir: string, outDir: string): void {
  const [run, out] = [resolve(runDir), resolve(outDir)];
  if (run === out || run.startsWith(out + sep))
    throw new Error(
      `${outDir}: the site would replace ${out === run ? 'the run folder itself' : `a folder that holds the run folder ${runDir}`}; choose another --out`,
    );
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new Error(`${outDir} is a file, not a folder; choose another --out`);
  const entries = readdirSync(out);
  const legacy = ['index.html', 'style.css', 'models', 'data'].every((e) => entries.includes(e)) && entries.every((e) => SITE_FILES.has(e));
  if (entries.length && !entries.includes(SITE_MARK) && !legacy)
    throw new Error(
      `${outDir} holds files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}) and is not a site serbench built: choose a new or empty folder for --out`,
    );
}

/** What a site folder holds at its top. */
const SITE_FILES = new Set([SITE_MARK, 'index.html', 'fairness.html', 'data.html', 'provenance.html', 'style.css', 'models', 'data']);

/** A fresh site folder with its stylesheet and the run's data files beside the pages. */
function prepareFolder(runDir: string, outDir: string): void {
  checkSiteFolder(runDir, outDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'models'), { recursive: true });
  mkdirSync(join(outDir, 'data', 'spectrograms'), { recursive: true });
  writeFileSync(join(outDir, SITE_MARK), 'a report site built by serbench: `serbench report` may replace this folder\n');
  copyFileSync(join(here, 'style.css'), join(outDir, 'style.css'));
  for (const f of ['results.json', 'predictions.csv', 'results.schema.json'])
    if (existsSync(join(runDir, f))) copyFileSync(join(runDir, f), join(outDir, 'data', f));
  if (existsSync(join(runDir, 'slices'))) cpSync(join(runDir, 'slices'), join(outDir, 'data', 'slices'), { recursive: true });
}

/** Build the site for one run folder into <run>/site (or `outDir`). */
export async function buildSite(view: ReportView, runDir: string, pictures: SitePictures = { examples: [] }, outDir = join(runDir, 'site')): Promise<string> {
  const results = view.results;
  charts.resetChartIds();
  prepareFolder(runDir, outDir);
  const models = results.models.map((m) => ({ name: m.name, file: modelFile(m.name) }));
  const common = { suiteTitle: results.suite.title, models, versions: results.environment, created: results.created, notice: view.verdicts.notice };
  const page = (file: string, root: string, pageId: string, title: string, body: string) =>
    writeFileSync(join(outDir, file), layout({ ...common, root, page: pageId, title, body }));
  page('index.html', '', 'overview', 'Overview', await overviewPage(view));
  for (const m of results.models) {
    const errors = [];
    for (const ex of pictures.errors?.get(m.name) ?? [])
      errors.push({ svg: await pictureChart(outDir, ex, `${ex.clip}: ${ex.emotion} taken for ${ex.predicted} (${ex.confidence.toFixed(2)})`, '../') });
    page(join('models', modelFile(m.name)), '../', modelFile(m.name), m.name, await modelPage(view, m, errors, pictures.errorsNote));
  }
  page('fairness.html', '', 'fairness', 'Fairness', await fairnessPage(view));
  const examples = [];
  for (const ex of pictures.examples) examples.push({ svg: await pictureChart(outDir, ex, `${ex.corpus} · ${ex.emotion}`, '') });
  page('data.html', '', 'data', 'Data', await dataPage(view, examples));
  page('provenance.html', '', 'provenance', 'Provenance', provenancePage(view));
  return outDir;
}
