/**
 * What every page shares: handlebars with the report's helpers, the templates, the layout, how
 * a model's page is named and how an interval is described. Everything a user supplied reaches
 * the page through handlebars' escaping ({{…}}); only our own SVG is inserted raw ({{{…}}}), and
 * vega escapes the text inside it.
 */
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Interval } from '../harness/stats/significance.ts';
import type { MetricInfo } from '../harness/stats/metric-table.ts';
import { fileComponent } from '../core/file-names.ts';
import { versions } from '../core/versions.ts';

export const here = dirname(fileURLToPath(import.meta.url));
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
// A figure as its metric shows it: a percentage, or a number with three decimals.
hb.registerHelper('figure', (v: unknown, format: unknown) => (format === 'percent' ? hb.helpers.pct(v) : hb.helpers.num(v)));

/** A template of reports/templates with the report's helpers (pct, num, …). */
export const template = (name: string) => hb.compile(readFileSync(join(here, 'templates', `${name}.hbs`), 'utf8'), { strict: false });
export const layout = template('layout');

/** A model's page: one file per model name, injectively (names that differ never share a page). */
export const modelFile = (name: string) => `${fileComponent(name)}.html`;

/** A confidence level as a percentage with the digits it needs: 95%, 99.9% (never "100%" for 0.999). */
export const confidenceLabel = (confidence: number) => `${+(100 * confidence).toFixed(2)}%`;

const INTERVAL_NAMES: Record<Interval['method'], string> = {
  bootstrap: 'clip-level bootstrap',
  'basic-bootstrap': 'clip-level basic bootstrap',
  wilson: 'Wilson',
  'clopper-pearson': 'Clopper–Pearson',
  newcombe: 'Newcombe',
};

/** How an interval was formed, for chart titles and notes. */
export function intervalLabel(i: Pick<Interval, 'method'>, confidence: number): string {
  return `${confidenceLabel(confidence)} ${INTERVAL_NAMES[i.method]} intervals`;
}

/** The metric table's columns, in the order they are shown. */
export const columns = (metrics: MetricInfo[]) => [...metrics].sort((a, b) => a.order - b.order);

/** "a, b and c". */
export const listed = (xs: string[]) => (xs.length < 2 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** A page in the site's layout without a run's navigation (comparison and collection pages). */
export function renderPage(o: { title: string; suiteTitle: string; root: string; body: string }): string {
  return layout({ ...o, models: [], versions: versions(), created: new Date().toISOString(), page: '', standalone: true });
}
