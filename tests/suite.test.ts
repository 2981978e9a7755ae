import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { loadSuite, parseSuite, SuiteError } from '../harness/suite.ts';
import { suiteJsonSchema } from '../harness/suite-schema.ts';
import { MODEL_FAMILIES, MODEL_TYPES } from '../models/registry.ts';
import { CORPORA_SAMPLE, SHARED, haveShared } from './paths.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const problems = (yaml: string) => {
  try {
    parseSuite(yaml, join(root, 'suites', 'test.yaml'));
  } catch (e) {
    if (e instanceof SuiteError) return e.problems;
    throw e;
  }
  return [];
};

const SAMPLE = haveShared('suites over the real corpora', 'corpora-sample', 'corpora-dev');

describe('suite validation', () => {
  it.skipIf(!SAMPLE)('every shipped suite is valid (corpora suites read $SERBENCH_DATA: the shared sample, or for ravdess-dev the shared dev corpus)', () => {
    for (const f of readdirSync(join(root, 'suites')).filter((f) => f.endsWith('.yaml'))) {
      process.env.SERBENCH_DATA = f === 'ravdess-dev.yaml' ? join(SHARED, 'corpora-dev') : CORPORA_SAMPLE;
      expect(() => loadSuite(join(root, 'suites', f)), f).not.toThrow();
    }
  });

  it('fills defaults', () => {
    const s = parseSuite('name: x\ndatasets: [{corpus: synthetic}]\nmodels: [{type: tree}]\n', 'x.yaml');
    expect(s.seeds).toEqual([0]);
    expect(s.split).toMatchObject({ protocol: 'stratified', test_fraction: 0.2, val_fraction: 0.1 });
    expect(s.models[0]).toMatchObject({ name: 'tree', type: 'tree', features: 'summary', params: { max_depth: 12, criterion: 'gini' } });
    expect(s.labels.map).toEqual({ calm: 'neutral' });
  });

  it('reports the YAML line and field of each problem', () => {
    const yaml = [
      'name: bad',
      'datasets:',
      '  - corpus: synthetic',
      '  - corpus: ravdess',
      'split:',
      '  protocol: random-ish',
      'models:',
      '  - type: cnn',
      '    params: { epochs: -3, nonsense: 1 }',
      '  - type: tree',
      '    features: logmel',
      'colour: blue',
      '',
    ].join('\n');
    const p = problems(yaml);
    const byField = Object.fromEntries(p.map((x) => [x.field, x]));
    expect(byField['split.protocol']).toMatchObject({ line: 6, message: expect.stringMatching(/"random-ish" is not one of stratified, speaker-independent/) });
    expect(byField['colour']).toMatchObject({ line: 12, message: expect.stringMatching(/unknown field/) });
    // Model params are checked in the same pass as the structure; cross-field checks (paths,
    // features) wait for a well-formed structure, and then come with any params problems.
    expect(byField['models[0].params.epochs']).toMatchObject({ line: 9, message: 'must be ≥ 1, got -3' });
    expect(p.map((x) => x.field).sort()).toEqual(['colour', 'models[0].params.epochs', 'models[0].params.nonsense', 'split.protocol']);
    const p2 = problems(yaml.replace('  protocol: random-ish\n', '  protocol: stratified\n').replace('colour: blue\n', ''));
    const f2 = Object.fromEntries(p2.map((x) => [x.field, x]));
    expect(f2['datasets[1].path']).toMatchObject({ line: 4, message: 'is required for corpus ravdess' });
    expect(f2['models[0].params.epochs']).toMatchObject({ line: 9, message: 'must be ≥ 1, got -3' });
    expect(f2['models[0].params.nonsense']).toMatchObject({ line: 9, message: expect.stringMatching(/unknown field/) });
    expect(f2['models[1].features']).toMatchObject({
      line: 11,
      message: 'tree reads vector features (summary, egemaps, embedding, waveform, precomputed), not logmel (image)',
    });
  });

  it.skipIf(!SAMPLE)('a relative $SERBENCH_DATA is relative to the shell, as the README example runs it', () => {
    const root = join(import.meta.dirname, '..');
    const r = spawnSync(process.execPath, [join(root, 'bin', 'serbench.js'), 'validate', 'suites/cross-corpus.yaml'], {
      cwd: root,
      // validate reads the clips (it prints the run's size): the real sample, given relative to the shell.
      env: { ...process.env, SERBENCH_DATA: relative(root, CORPORA_SAMPLE) },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/valid suite "cross-corpus"/);
  });

  it.skipIf(!SAMPLE)('expands ${VAR:-default} in paths and says when a variable is missing', () => {
    process.env.SERBENCH_TEST_DIR = CORPORA_SAMPLE;
    expect(parseSuite('name: x\ndatasets: [{corpus: tess, path: "${SERBENCH_TEST_DIR}/tess"}]\nmodels: [{type: svm}]\n', 'x.yaml').datasets[0].path).toBe(
      join(CORPORA_SAMPLE, 'tess'),
    );
    expect(problems('name: x\ndatasets: [{corpus: tess, path: "${SERBENCH_NOT_SET_ANYWHERE}/tess"}]\nmodels: [{type: svm}]\n')[0].message).toMatch(
      /SERBENCH_NOT_SET_ANYWHERE is not set/,
    );
  });

  it('a path that does not exist, YAML syntax errors and duplicate names', () => {
    expect(problems('name: x\ndatasets: [{corpus: tess, path: /no/such/dir}]\nmodels: [{type: svm}]\n')[0]).toMatchObject({
      line: 2,
      field: 'datasets[0].path',
      message: 'folder /no/such/dir does not exist',
    });
    expect(problems('name: x\ndatasets: [{corpus: synthetic}\nmodels: x\n')[0]).toMatchObject({ field: '(syntax)' });
    expect(problems('name: x\ndatasets: [{corpus: synthetic}]\nmodels: [{type: svm}, {type: svm}]\n')[0]).toMatchObject({
      field: 'models[1].name',
      message: 'duplicate model name "svm" (give each a name)',
    });
    expect(problems('name: x\ndatasets: [{corpus: synthetic}]\nmodels: [{type: vit, params: {dim: 30, heads: 4}}]\n')[0]).toMatchObject({
      field: 'models[0].params.heads',
    });
    expect(problems('name: x\ndatasets: [{corpus: synthetic}]\nmodels: [{type: vit, params: {stem: conv, patch: 6}}]\n')[0]).toMatchObject({
      field: 'models[0].params.patch',
      message: expect.stringContaining('power of 2'),
    });
    expect(problems('name: x\ndatasets: [{corpus: synthetic}]\nmodels: [{type: vit, params: {stem: conv, patch: 8, pool: mean}}]\n')).toEqual([]);
  });

  it("`serbench schema` shows the defaults the loader fills (features, evaluation, split, labels, every family's params), stated once", () => {
    type Props = Record<string, { default?: unknown }>;
    const schema = suiteJsonSchema() as {
      properties: Record<
        string,
        {
          properties: Props;
          items: {
            allOf: {
              if: { properties: { type: { const: string } } };
              then: { properties: { features: { default: string }; params: { properties: Props } } };
            }[];
          };
        }
      >;
    };
    // Families whose params name files of their own (an outputs file, a classifier) are left out: they have no defaults for those.
    const families = MODEL_TYPES.filter((t) => t !== 'module' && !MODEL_FAMILIES[t].schema.required?.length);
    const suite = parseSuite(
      `name: d\ndatasets: [{ corpus: synthetic }]\nmodels: [${families.map((t) => `{ type: ${t} }`).join(', ')}]\n`,
      join(root, 'suites', 'd.yaml'),
    );
    let checked = 0;
    for (const section of ['features', 'evaluation', 'split', 'labels'] as const)
      for (const [key, prop] of Object.entries(schema.properties[section].properties))
        if (prop.default !== undefined) {
          expect((suite[section] as Record<string, unknown>)[key], `${section}.${key}`).toEqual(prop.default);
          checked++;
        }
    for (const rule of schema.properties.models.items.allOf) {
      const type = rule.if.properties.type.const;
      const model = suite.models.find((m) => m.type === type);
      if (!model) continue;
      expect(model.features, `${type} features`).toBe(rule.then.properties.features.default);
      for (const [key, prop] of Object.entries(rule.then.properties.params.properties)) {
        expect((model.params as Record<string, unknown>)[key], `${type}.params.${key}`).toEqual(prop.default);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(schema.properties.features.properties.n_mels.default).toBe(64);
    expect(schema.properties.evaluation.properties.min_slice.default).toBe(30);
    expect(schema.properties.split.properties.protocol.default).toBe('stratified');
  });

  it('the JSON Schema describes every top-level field', () => {
    const s = suiteJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(s.properties)).toEqual([
      'name',
      'description',
      'seeds',
      'model_seeds',
      'datasets',
      'labels',
      'split',
      'augment',
      'features',
      'models',
      'evaluation',
      'report',
    ]);
    expect(s.required).toEqual(['name', 'datasets', 'models']);
  });

  it('every field of the schema has a description, and suites/suite.schema.json is `serbench schema` as it is now', () => {
    const s = suiteJsonSchema();
    const undescribed: string[] = [];
    const walk = (n: Record<string, any>, at: string) => {
      for (const [k, v] of Object.entries((n.properties ?? {}) as Record<string, any>)) {
        if (!v.description) undescribed.push(`${at}.${k}`);
        walk(v, `${at}.${k}`);
      }
      if (n.items) walk(n.items, `${at}[]`);
      (n.allOf ?? []).forEach((x: Record<string, any>) => walk(x.then ?? x, `${at}(${JSON.stringify(x.if?.properties?.type?.const ?? '')})`));
    };
    walk(s, '');
    expect(undescribed).toEqual([]);
    expect(s.$id).toBe('urn:serbench:suite-schema');
    // After a change to the suite format: serbench schema > suites/suite.schema.json
    expect(JSON.parse(readFileSync(join(root, 'suites', 'suite.schema.json'), 'utf8'))).toEqual(s);
  });

  it('every shipped suite and example names the schema for editor completion (yaml-language-server)', () => {
    for (const dir of ['suites', 'examples'])
      for (const f of readdirSync(join(root, dir)).filter((f) => f.endsWith('.yaml'))) {
        const first = readFileSync(join(root, dir, f), 'utf8').split('\n')[0];
        const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
        expect(m, `${dir}/${f}`).not.toBeNull();
        expect(existsSync(join(root, dir, m![1])), `${dir}/${f}: ${m![1]}`).toBe(true);
      }
  });

  it('`serbench validate` exits 2 on an invalid suite, naming file, line and field', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/serbench.js'), 'validate', join(root, 'tests/fixtures/invalid-suite.yaml')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/invalid-suite\.yaml:7: models\[0\]\.type: "transformer" is not one of cnn, vit, mlp, svm, tree/);
  });
});
