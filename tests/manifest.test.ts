/**
 * A corpus of one's own as a manifest (CSV or JSONL) over the shared sample's TESS and SAVEE
 * clips: labels in other spellings, attributes that become fairness slices, bad rows skipped
 * with their reasons.
 */
import { describe, it, expect } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPORA_SAMPLE, haveShared } from './paths.ts';
import { loadManifest } from '../datasets/corpora/manifest.ts';
import { parseSuite } from '../harness/suite.ts';
import { runSuite } from '../harness/run/run.ts';
import { report } from '../harness/cli/report.ts';
import type { Results } from '../harness/stats/evaluate-run.ts';

const TESS_LABEL: Record<string, string> = {
  ps: 'surprise',
  fear: 'fear',
  angry: 'anger',
  happy: 'happiness',
  sad: 'sadness',
  disgust: 'disgust',
  neutral: 'neutral',
};
const SAVEE_LABEL: Record<string, string> = { a: 'angry', d: 'disgust', f: 'fear', h: 'happy', n: 'neutral', sa: 'sad', su: 'surprise' };

/** The sample's TESS and SAVEE clips as manifest rows (absolute paths), plus one clip under a relative path. */
function rows(dir: string): Record<string, string | number>[] {
  const out: Record<string, string | number>[] = [];
  for (const f of readdirSync(join(CORPORA_SAMPLE, 'tess')).sort()) {
    const [spk, , emo] = f.slice(0, -4).split('_');
    out.push({
      path: join(CORPORA_SAMPLE, 'tess', f),
      label: TESS_LABEL[emo],
      speaker: spk,
      gender: 'F',
      age: spk === 'OAF' ? 64 : 26,
      condition: 'studio',
      language: 'en-CA',
    });
  }
  for (const f of readdirSync(join(CORPORA_SAMPLE, 'savee')).sort()) {
    const [spk, rest] = f.slice(0, -4).split('_');
    out.push({
      path: join(CORPORA_SAMPLE, 'savee', f),
      label: SAVEE_LABEL[rest.replace(/\d+$/, '')],
      speaker: spk,
      gender: 'M',
      age: '',
      condition: 'booth',
      language: 'en-GB',
    });
  }
  mkdirSync(join(dir, 'clips'));
  copyFileSync(join(CORPORA_SAMPLE, 'tess', 'OAF_back_angry.wav'), join(dir, 'clips', 'extra.wav'));
  out.push({ id: 'extra', path: 'clips/extra.wav', label: 'ANG', speaker: 'OAF', gender: 'female', age: 64, condition: 'studio', language: 'en-CA' });
  out.push({ path: 'clips/missing.wav', label: 'sad', speaker: 'X', gender: 'f', age: '', condition: 'studio', language: 'en-CA' });
  out.push({ path: 'clips/extra.wav', label: 'contempt', speaker: 'X', gender: 'f', age: '', condition: 'studio', language: 'en-CA' });
  return out;
}

function writeCsv(file: string, rs: Record<string, string | number>[]): void {
  const cols = ['id', 'path', 'label', 'speaker', 'gender', 'age', 'condition', 'language'];
  const cell = (v: unknown) => (v === undefined ? '' : /[",]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  writeFileSync(file, '\uFEFF' + [cols.join(','), ...rs.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n');
}

describe.skipIf(!haveShared('manifests over real clips', 'corpora-sample'))('a corpus of your own as a manifest', () => {
  it('CSV and JSONL read the same clips; spellings map to the harmonized labels; bad rows are skipped with their reasons', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-manifest-'));
    const rs = rows(dir);
    writeCsv(join(dir, 'mine.csv'), rs);
    writeFileSync(join(dir, 'mine.jsonl'), rs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const csv = loadManifest(join(dir, 'mine.csv'));
    const jsonl = loadManifest(join(dir, 'mine.jsonl'), 'mine');
    expect(csv.clips.length).toBe(140 + 84 + 1);
    expect(jsonl.clips.map((c) => [c.id, c.emotion, c.speaker, c.gender, c.age, c.attributes])).toEqual(
      csv.clips.map((c) => [c.id, c.emotion, c.speaker, c.gender, c.age, c.attributes]),
    );
    expect(csv.clips.find((c) => c.id === 'mine/extra')).toMatchObject({
      emotion: 'angry',
      speaker: 'mine-OAF',
      gender: 'female',
      age: 64,
      attributes: { condition: 'studio', language: 'en-CA' },
    });
    expect(csv.clips.find((c) => c.id === 'mine/DC_su01')).toMatchObject({ emotion: 'surprised', gender: 'male', age: undefined });
    expect(csv.skipped).toEqual([
      { path: join(dir, 'clips', 'missing.wav'), reason: 'cannot be read (ENOENT)' },
      { path: join(dir, 'clips', 'extra.wav'), reason: expect.stringMatching(/^line \d+: label "contempt" is not one of neutral, calm, happy/) },
    ]);
    writeFileSync(join(dir, 'bad.csv'), 'file,emotion\nx.wav,sad\n');
    expect(() => loadManifest(join(dir, 'bad.csv'))).toThrow(`${join(dir, 'bad.csv')}:1: the manifest needs the column(s) path, speaker (it has file, label;`);
  });

  it('runs as a suite; its attributes are fairness slices, and the confounding of condition with gender is flagged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-manifest-run-'));
    writeCsv(join(dir, 'mine.csv'), rows(dir));
    const suite = parseSuite(
      `name: mine
datasets: [{ corpus: manifest, path: mine.csv, name: mine }]
labels: { set: [neutral, happy, sad, angry, fearful, disgust] }
split: { protocol: stratified, test_fraction: 0.3, val_fraction: 0.1 }
features: { duration: 1.5, n_mels: 32, n_mfcc: 13 }
models: [{ type: svm }, { type: tree }]
evaluation: { bootstrap: 100, slices: [corpus, gender, condition, language], min_slice: 10 }
`,
      join(dir, 'suite.yaml'),
    );
    const out = join(dir, 'run');
    const summary = await runSuite(suite, { out, cacheDir: null, quiet: true });
    expect(summary.failed).toEqual([]);
    await report(out);
    const r: Results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const svm = r.models.find((m) => m.name === 'svm')!.evaluation;
    expect(svm.slices.find((s) => s.field === 'condition')!.groups.map((g) => g.group)).toEqual(['booth', 'studio']);
    expect(svm.slices.find((s) => s.field === 'language')!.groups.map((g) => g.group)).toEqual(['en-CA', 'en-GB']);
    expect(r.flags.filter((f) => f.kind === 'confounded').map((f) => f.title.split(' are ')[0])).toEqual(
      expect.arrayContaining(['gender and condition', 'gender and language', 'condition and language']),
    );
    expect(readFileSync(join(out, 'site', 'fairness.html'), 'utf8')).toContain('accuracy by condition');
  }, 120_000);
});
