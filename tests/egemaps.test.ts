/**
 * eGeMAPS v02 (`features: egemaps`): what it measures on signals whose answer is known, and its
 * agreement with openSMILE 3.0.2's own output over the 1,104 reference clips in
 * ../shared/reference/opensmile (Pearson r, Spearman ρ and the median relative error of every
 * functional). The agreement measured when the extractor last changed is committed in
 * tests/fixtures/egemaps-agreement.json; this test fails when any functional falls below it, and
 * writes what it measured to test-artifacts/egemaps-agreement.json (copy it over the fixture
 * after an intended change, and update the README's table).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eGeMaps, EGEMAPS_NAMES } from '../datasets/features/egemaps/index.ts';
import { functionals } from '../datasets/features/egemaps/functionals.ts';
import { LLD_NAMES, type Llds } from '../datasets/features/egemaps/lld.ts';
import { FEATURE_KINDS } from '../datasets/features/registry.ts';
import { readClip } from '../datasets/audio/read.ts';
import type { Clip } from '../datasets/types.ts';
import { SHARED, CORPORA_SAMPLE, CORPORA_DEV, haveShared } from './paths.ts';

const SR = 16000;
const REF = join(SHARED, 'reference', 'opensmile', 'egemaps-v02-functionals.csv');
const FIXTURE = join(import.meta.dirname, 'fixtures', 'egemaps-agreement.json');
const ARTIFACT = join(import.meta.dirname, '..', 'test-artifacts', 'egemaps-agreement.json');
const at = (name: string) => EGEMAPS_NAMES.indexOf(name);

/** A voiced-like signal: harmonics of f0 with a 1/k spectrum, `seconds` long, amplitude a. */
function harmonic(f0: number, seconds: number, a = 0.3): Float64Array {
  return Float64Array.from({ length: Math.round(seconds * SR) }, (_, i) => {
    let v = 0;
    for (let k = 1; k * f0 < 4000; k++) v += Math.sin((2 * Math.PI * k * f0 * i) / SR) / k;
    return a * v * 0.5;
  });
}

describe('eGeMAPS on signals whose answer is known', () => {
  it("has openSMILE's 88 names in its order, and is a cached vector kind without augmented copies", () => {
    expect(EGEMAPS_NAMES).toHaveLength(88);
    expect(EGEMAPS_NAMES.slice(0, 2)).toEqual(['F0semitoneFrom27.5Hz_sma3nz_amean', 'F0semitoneFrom27.5Hz_sma3nz_stddevNorm']);
    expect(EGEMAPS_NAMES.slice(-3)).toEqual(['MeanUnvoicedSegmentLength', 'StddevUnvoicedSegmentLength', 'equivalentSoundLevel_dBp']);
    expect(new Set(EGEMAPS_NAMES).size).toBe(88);
    expect(FEATURE_KINDS.egemaps.layout).toBe('vector');
    expect(FEATURE_KINDS.egemaps.augmentable).toBe(false);
  });

  it('a steady 200 Hz voice: F0 34.4 semitones above 27.5 Hz, one voiced segment, little jitter, high HNR', () => {
    const f = eGeMaps(harmonic(200, 1.5), SR);
    expect(f[at('F0semitoneFrom27.5Hz_sma3nz_amean')]).toBeCloseTo(12 * Math.log2(200 / 27.5), 1);
    expect(f[at('F0semitoneFrom27.5Hz_sma3nz_pctlrange0-2')]).toBeLessThan(0.1);
    expect(f[at('VoicedSegmentsPerSec')]).toBeCloseTo(1 / 1.5, 1);
    expect(f[at('jitterLocal_sma3nz_amean')]).toBeLessThan(0.01);
    expect(f[at('HNRdBACF_sma3nz_amean')]).toBeGreaterThan(15);
    expect(Array.from(f).every(Number.isFinite)).toBe(true);
  });

  it('twice the amplitude: 6.02 dB more equivalent sound level, more loudness, twice the spectral flux, the same pitch', () => {
    const a = eGeMaps(harmonic(150, 1), SR);
    const b = eGeMaps(harmonic(150, 1, 0.6), SR);
    expect(b[at('equivalentSoundLevel_dBp')] - a[at('equivalentSoundLevel_dBp')]).toBeCloseTo(20 * Math.log10(2), 2);
    expect(b[at('loudness_sma3_amean')]).toBeGreaterThan(a[at('loudness_sma3_amean')] * 1.3);
    expect(b[at('F0semitoneFrom27.5Hz_sma3nz_amean')]).toBeCloseTo(a[at('F0semitoneFrom27.5Hz_sma3nz_amean')], 3);
    // Spectral flux is a distance between spectra, so it doubles (its square would quadruple).
    expect(b[at('spectralFlux_sma3_amean')] / a[at('spectralFlux_sma3_amean')]).toBeCloseTo(2, 6);
  });

  it('silence and noise: nothing voiced, every value finite', () => {
    let s = 7;
    const noise = Float64Array.from({ length: SR }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31), (s / 2 ** 31 - 0.5) * 0.1));
    for (const y of [new Float64Array(SR), noise]) {
      const f = eGeMaps(y, SR);
      expect(f[at('VoicedSegmentsPerSec')]).toBe(0);
      expect(Array.from(f).every(Number.isFinite)).toBe(true);
    }
  });
});

interface Agreement {
  name: string;
  pearson: number;
  spearman: number;
  medianRelativeError: number;
}

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((x, y) => x + y, 0) / n,
    mb = b.reduce((x, y) => x + y, 0) / n;
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < n; i++) ((ab += (a[i] - ma) * (b[i] - mb)), (aa += (a[i] - ma) ** 2), (bb += (b[i] - mb) ** 2));
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}
/** Ranks with ties given their mean rank. */
function ranks(x: number[]): number[] {
  const order = x.map((v, i) => [v, i]).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(x.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}
const median = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];

/** A reference row's clip: `'ravdess-16k/Actor_01/x.wav'` lives in corpora-dev, the others in corpora-sample. */
function clipOf(name: string): Clip {
  const [root, ...rest] = name.split('/');
  const path = root === 'ravdess-16k' ? join(CORPORA_DEV, 'ravdess-16k', ...rest) : join(CORPORA_SAMPLE, root, ...rest);
  return { id: name, source: { kind: 'file', path }, corpus: root, speaker: 'x', emotion: 'neutral', originalLabel: 'neutral' } as Clip;
}

const haveReference = haveShared('eGeMAPS against openSMILE', 'reference/opensmile', 'corpora-sample', 'corpora-dev');

describe.skipIf(!haveReference)("eGeMAPS against openSMILE 3.0.2's output, 1,104 clips", () => {
  let measured: Agreement[] = [];
  beforeAll(async () => {
    const lines = readFileSync(REF, 'utf8').trim().split('\n');
    expect(lines[0].split(';').slice(2)).toEqual(EGEMAPS_NAMES);
    const ours: number[][] = [],
      theirs: number[][] = [];
    for (const line of lines.slice(1)) {
      const cells = line.split(';');
      const audio = await readClip(clipOf(cells[0].replace(/'/g, '')), SR);
      ours.push(Array.from(eGeMaps(audio.samples, SR)));
      theirs.push(cells.slice(2).map(Number));
    }
    measured = EGEMAPS_NAMES.map((name, j) => {
      const a = ours.map((r) => r[j]),
        b = theirs.map((r) => r[j]);
      return {
        name,
        pearson: pearson(a, b),
        spearman: pearson(ranks(a), ranks(b)),
        medianRelativeError: median(a.map((x, i) => Math.abs(x - b[i]) / (Math.abs(b[i]) || 1))),
      };
    });
    mkdirSync(join(ARTIFACT, '..'), { recursive: true });
    writeFileSync(ARTIFACT, JSON.stringify({ clips: theirs.length, sampleRate: SR, functionals: measured }, null, 2) + '\n');
  }, 600_000);

  it('every functional agrees at least as well as when the extractor last changed (r, ρ within 0.02; relative error within 25%)', () => {
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { functionals: Agreement[] };
    const worse = measured.flatMap((m, j) => {
      const f = fixture.functionals[j];
      const out: string[] = [];
      if (f.name !== m.name) out.push(`${m.name}: the fixture has ${f.name} here`);
      if (m.pearson < f.pearson - 0.02) out.push(`${m.name}: r ${m.pearson.toFixed(3)} < ${f.pearson.toFixed(3)}`);
      if (m.spearman < f.spearman - 0.02) out.push(`${m.name}: ρ ${m.spearman.toFixed(3)} < ${f.spearman.toFixed(3)}`);
      if (m.medianRelativeError > f.medianRelativeError * 1.25 + 0.005)
        out.push(`${m.name}: error ${m.medianRelativeError.toFixed(3)} > ${f.medianRelativeError.toFixed(3)}`);
      return out;
    });
    expect(worse).toEqual([]);
  });

  it('pitch level, MFCC means, loudness spread and the sound level agree at r ≥ 0.98', () => {
    const r = (name: string) => measured[at(name)].pearson;
    for (const name of [
      'F0semitoneFrom27.5Hz_sma3nz_amean',
      'F0semitoneFrom27.5Hz_sma3nz_percentile50.0',
      'mfcc1_sma3_amean',
      'mfcc2_sma3_amean',
      'mfcc3_sma3_amean',
      'mfcc4_sma3_amean',
      'loudness_sma3_stddevNorm',
      'equivalentSoundLevel_dBp',
    ])
      expect([name, r(name)]).toEqual([name, expect.toSatisfy((v: number) => v >= 0.98)]);
  });
});

describe.skipIf(!haveReference)("eGeMAPS's functionals, given openSMILE's descriptors", () => {
  it("from openSMILE's own frame-wise descriptors (111 clips), the functionals are openSMILE's: 79 of 88 at r ≥ 0.95", () => {
    const dir = join(SHARED, 'reference', 'opensmile', 'lld');
    const byName = new Map(
      readFileSync(REF, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => [l.split(';')[0].replace(/'/g, ''), l.split(';').slice(2).map(Number)]),
    );
    const ours: number[][] = [],
      theirs: number[][] = [];
    for (const file of readdirSync(dir).sort()) {
      const rows = readFileSync(join(dir, file), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(';'));
      // Columns: name, frameTime, then the 25 descriptors in LLD_NAMES's order; F0 is 0 where unvoiced.
      const values = Object.fromEntries(LLD_NAMES.map((n, c) => [n, Float64Array.from(rows, (r) => Number(r[c + 2]))])) as Llds['values'];
      const voiced = Uint8Array.from(values['F0semitoneFrom27.5Hz'], (v) => (v > 0 ? 1 : 0));
      ours.push(Array.from(functionals({ values, voiced, power: new Float64Array(rows.length).fill(1e-3), frames: rows.length })));
      theirs.push(byName.get(rows[0][0].replace(/'/g, ''))!);
    }
    // The sound level needs the signal's power, which the descriptor files do not hold.
    const r = EGEMAPS_NAMES.map(
      (name, j) =>
        [
          name,
          pearson(
            ours.map((x) => x[j]),
            theirs.map((x) => x[j]),
          ),
        ] as const,
    ).filter(([n]) => n !== 'equivalentSoundLevel_dBp');
    expect(ours).toHaveLength(111);
    expect(r.filter(([, v]) => v >= 0.95).length).toBeGreaterThanOrEqual(78);
    expect(r.filter(([, v]) => v < 0.95).map(([n]) => n)).toEqual([
      'F0semitoneFrom27.5Hz_sma3nz_meanRisingSlope',
      'F0semitoneFrom27.5Hz_sma3nz_stddevRisingSlope',
      'F0semitoneFrom27.5Hz_sma3nz_meanFallingSlope',
      'F0semitoneFrom27.5Hz_sma3nz_stddevFallingSlope',
      'mfcc4_sma3_stddevNorm',
      'mfcc3V_sma3nz_stddevNorm',
      'mfcc4V_sma3nz_stddevNorm',
      'VoicedSegmentsPerSec',
      'MeanUnvoicedSegmentLength',
    ]);
  });
});
