/**
 * The report in a real browser: Chromium (tests/browser.ts says which) driven by playwright-core. Every page of a
 * real run's site is opened from disk; every chart must be drawn, no console error may occur,
 * user-supplied text must show as text, and the pages must fit a phone and print.
 * Screenshots go to test-artifacts/screenshots/.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { mkdirSync, mkdtempSync, copyFileSync, readdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseSuite } from '../harness/suite.ts';
import { runSuite } from '../harness/run/run.ts';
import { report } from '../harness/cli/report.ts';
import { CORPORA_SAMPLE, haveShared } from './paths.ts';
import { chromiumPath } from './browser.ts';

const shots = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts', 'screenshots');
const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

const SAMPLE = haveShared('the report site in Chromium (a run over real TESS clips)', 'corpora-sample');
let browser: Browser;
let site: string;
/** The pages over several runs: a comparison and a collection site. */
let extra: { compare: string; collection: string };

beforeAll(async () => {
  if (!SAMPLE) return;
  // Real audio plus a file whose name is markup: it is skipped, and the Data page must show its name as text.
  const data = mkdtempSync(join(tmpdir(), 'serbench-site-data-'));
  for (const f of readdirSync(join(CORPORA_SAMPLE, 'tess')).filter((f) => /^OAF_.*_(angry|sad|happy)\.wav$/.test(f)))
    copyFileSync(join(CORPORA_SAMPLE, 'tess', f), join(data, f));
  copyFileSync(join(CORPORA_SAMPLE, 'tess', 'OAF_back_angry.wav'), join(data, `OAF_${HOSTILE.replace(/\//g, '∕')}_angry.wav`));
  const out = mkdtempSync(join(tmpdir(), 'serbench-site-'));
  const yaml = `
name: site-test
description: ${JSON.stringify(`A description with markup: ${HOSTILE}`)}
seeds: [1]
datasets:
  - { corpus: tess, path: ${JSON.stringify(data)} }
  - { corpus: synthetic, synthetic: { speakers_per_corpus: 4, clips_per_emotion: 3, conditions: 1 } }
labels: { set: [happy, sad, angry] }
split: { protocol: stratified, test_fraction: 0.3, val_fraction: 0.15 }
features: { duration: 1.5, n_mels: 32, n_mfcc: 13, hop_length: 512 }
models:
  - { name: svm, type: svm }
  - { name: tree, type: tree }
  - { name: cnn, type: cnn, params: { filters: [8], dense: 16, epochs: 3, patience: 3 } }
evaluation: { bootstrap: 100, slices: [corpus, speaker, gender], intersections: [[corpus, gender]], min_slice: 10 }
report: { title: ${JSON.stringify(`Site test ${HOSTILE}`)} }
`;
  const suite = parseSuite(yaml, join(out, 'suite.yaml'));
  const summary = await runSuite(suite, { out, cacheDir: null, quiet: true });
  expect(summary.failed).toEqual([]);
  site = await report(out);
  const { comparePages, collectionSite } = await import('../harness/cli/compare.ts');
  const twin = mkdtempSync(join(tmpdir(), 'serbench-site-twin-'));
  cpSync(out, twin, { recursive: true });
  extra = {
    compare: join((await comparePages([out, twin], mkdtempSync(join(tmpdir(), 'serbench-site-cmp-')))).out, 'index.html'),
    collection: join(await collectionSite([out, twin], mkdtempSync(join(tmpdir(), 'serbench-site-coll-')), `Collection ${HOSTILE}`), 'index.html'),
  };
  browser = await chromium.launch({
    executablePath: await chromiumPath(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  mkdirSync(shots, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

const PAGES = ['index.html', 'models/svm.html', 'models/tree.html', 'models/cnn.html', 'fairness.html', 'data.html', 'provenance.html'];

describe.skipIf(!SAMPLE)('the report site in Chromium', () => {
  it.each(PAGES)('%s: charts drawn, no console error, no script run, screenshot saved', async (page) => {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    tab.on('pageerror', (e) => errors.push(e.message));
    tab.on('dialog', (d) => errors.push(`dialog: ${d.message()}`));
    await tab.goto(pathToFileURL(join(site, page)).href);
    const charts = await tab.$$eval('figure.chart', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        const marks = svg ? svg.querySelectorAll('g[class^="mark-"] path, g[class^="mark-"] rect, g[class^="mark-"] line, g[class^="mark-"] text').length : 0;
        const box = svg?.getBoundingClientRect();
        return { marks, width: box?.width ?? 0, height: box?.height ?? 0 };
      }),
    );
    expect(charts.length, `${page} has charts`).toBeGreaterThan(page === 'provenance.html' ? -1 : 0);
    for (const [i, c] of charts.entries()) {
      expect(c.marks, `${page} chart ${i} has marks`).toBeGreaterThan(0);
      expect(c.width * c.height, `${page} chart ${i} has a size`).toBeGreaterThan(100);
    }
    expect(await tab.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await tab.screenshot({ path: join(shots, `${page.replace('/', '_')}.png`), fullPage: true });
    expect(errors).toEqual([]);
    await tab.close();
  });

  it.each(['compare', 'collection'] as const)('the %s page over several runs: charts drawn, no console error, user text shown as text', async (which) => {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(pathToFileURL(extra[which]).href);
    const marks = await tab.$$eval('figure.chart svg', (svgs) =>
      svgs.map((s) => s.querySelectorAll('g[class^="mark-"] path, g[class^="mark-"] line, g[class^="mark-"] text').length),
    );
    for (const [i, m] of marks.entries()) expect(m, `${which} chart ${i} has marks`).toBeGreaterThan(0);
    if (which === 'compare') expect(marks.length).toBeGreaterThan(0);
    else expect(await tab.textContent('h1')).toContain('<script>');
    await tab.screenshot({ path: join(shots, `${which}.png`), fullPage: true });
    expect(errors).toEqual([]);
    expect(await tab.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await tab.close();
  });

  it('user-supplied text is shown as text, not run', async () => {
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(join(site, 'index.html')).href);
    expect(await tab.textContent('h1')).toContain('<script>window.__pwned = 1</script>');
    await tab.goto(pathToFileURL(join(site, 'data.html')).href);
    expect(await tab.textContent('body')).toContain('onerror="window.__pwned = 2"');
    expect(await tab.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await tab.close();
  });

  it('fits a phone screen and prints', async () => {
    const tab = await browser.newPage({ viewport: { width: 390, height: 844 } });
    for (const page of PAGES) {
      await tab.goto(pathToFileURL(join(site, page)).href);
      const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${page} scrolls sideways on a phone`).toBeLessThanOrEqual(1);
    }
    await tab.screenshot({ path: join(shots, 'phone_fairness.png'), fullPage: true });
    await tab.emulateMedia({ media: 'print' });
    const pdf = await tab.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
    await tab.close();
  });
});
