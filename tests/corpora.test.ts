import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPORA_SAMPLE, haveShared } from './paths.ts';
import { loadCorpus } from '../datasets/corpora/load.ts';
import { scanDatasets } from '../harness/cli/scan.ts';
import { encodeWavPcm16 } from '../datasets/audio/wav.ts';
import type { Clip } from '../datasets/types.ts';

const SAMPLE = haveShared('the corpus loaders on the real sample', 'corpora-sample');
const count = (clips: Clip[], key: (c: Clip) => string | undefined) => {
  const m: Record<string, number> = {};
  for (const c of clips) m[key(c) ?? '?'] = (m[key(c) ?? '?'] ?? 0) + 1;
  return m;
};

describe.skipIf(!SAMPLE)('datasets scan of shared/corpora-sample (exact counts from the real file names)', () => {
  const scans = SAMPLE ? scanDatasets(CORPORA_SAMPLE) : [];
  const by = Object.fromEntries(scans.map((s) => [s.corpus, s]));
  it('finds the four corpora and 384 clips, nothing skipped', () => {
    expect(scans.map((s) => s.corpus).sort()).toEqual(['crema-d', 'ravdess', 'savee', 'tess']);
    expect(scans.map((s) => [s.corpus, s.clips])).toEqual([
      ['crema-d', 30],
      ['ravdess', 130],
      ['savee', 84],
      ['tess', 140],
    ]);
    expect(scans.flatMap((s) => s.skipped)).toEqual([]);
  });
  it('RAVDESS: 8 actors, odd male / even female, two extra clips of actor 01', () => {
    const r = by.ravdess;
    expect(Object.keys(r.speakers).length).toBe(8);
    expect(r.speakers['ravdess-01']).toBe(18);
    for (const a of ['02', '03', '04', '05', '06', '07', '08']) expect(r.speakers[`ravdess-${a}`]).toBe(16);
    expect(r.table.calm).toEqual({ female: 8, male: 9 });
    expect(r.table.surprised).toEqual({ female: 8, male: 9 });
    for (const e of ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgust']) expect(r.table[e]).toEqual({ female: 8, male: 8 });
  });
  it('TESS: OAF and YAF, both female, 7 emotions × 10 words each, ps = surprised', () => {
    expect(by.tess.speakers).toEqual({ 'tess-OAF': 70, 'tess-YAF': 70 });
    for (const e of ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised']) expect(by.tess.table[e]).toEqual({ female: 20 });
  });
  it('CREMA-D: 30 actors, anger only, 18 female / 12 male from VideoDemographics.csv', () => {
    expect(Object.keys(by['crema-d'].speakers).length).toBe(30);
    expect(by['crema-d'].table).toEqual({ angry: { female: 18, male: 12 } });
  });
  it('SAVEE: DC, JE, JK, KL, male, 7 emotions × 3 sentences', () => {
    expect(by.savee.speakers).toEqual({ 'savee-DC': 21, 'savee-JE': 21, 'savee-JK': 21, 'savee-KL': 21 });
    for (const e of ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised']) expect(by.savee.table[e]).toEqual({ male: 12 });
  });
});

describe.skipIf(!SAMPLE)('loader metadata', () => {
  it.skipIf(!SAMPLE)('RAVDESS fields: intensity, statement, original code', () => {
    const { clips } = loadCorpus('ravdess', join(CORPORA_SAMPLE, 'ravdess'));
    const c = clips.find((x) => x.id === 'ravdess/03-01-05-02-01-01-04')!;
    expect(c).toMatchObject({
      speaker: 'ravdess-04',
      gender: 'female',
      emotion: 'angry',
      originalLabel: '05',
      intensity: 'strong',
      sentence: 'Kids are talking by the door',
    });
    expect(count(clips, (x) => x.intensity)).toEqual({ normal: 74, strong: 56 });
  });
  it.skipIf(!SAMPLE)('CREMA-D demographics: age, race, ethnicity from the CSV', () => {
    const { clips } = loadCorpus('crema-d', join(CORPORA_SAMPLE, 'crema-d'));
    expect(clips.find((c) => c.speaker === 'crema-d-1001')).toMatchObject({
      gender: 'male',
      age: 51,
      race: 'Caucasian',
      ethnicity: 'Not Hispanic',
      intensity: 'unspecified',
      sentence: "Don't forget a jacket",
    });
    const ages = clips.map((c) => c.age!);
    expect([Math.min(...ages), Math.max(...ages)]).toEqual([21, 61]);
  });
  it.skipIf(!SAMPLE)('a VideoDemographics.csv saved with a byte-order mark (as Excel does) reads the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serbench-bom-'));
    for (const f of ['1001_DFA_ANG_XX.wav', '1002_DFA_ANG_XX.wav']) copyFileSync(join(CORPORA_SAMPLE, 'crema-d', f), join(dir, f));
    writeFileSync(join(dir, 'VideoDemographics.csv'), '\uFEFF' + readFileSync(join(CORPORA_SAMPLE, 'crema-d', 'VideoDemographics.csv'), 'utf8'));
    const { clips } = loadCorpus('crema-d', dir);
    expect(clips.find((c) => c.speaker === 'crema-d-1001')).toMatchObject({ gender: 'male', age: 51 });
  });
  it.skipIf(!SAMPLE)('TESS word and age', () => {
    const { clips } = loadCorpus('tess', join(CORPORA_SAMPLE, 'tess'));
    expect(clips.find((c) => c.id === 'tess/YAF_dog_ps')).toMatchObject({ emotion: 'surprised', originalLabel: 'ps', age: 26, sentence: 'Say the word dog' });
  });
});

describe.skipIf(!SAMPLE)('bad input: each named with its reason, the rest still loads', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'serbench-bad-'));
    const good = join(CORPORA_SAMPLE, 'savee', 'DC_a01.wav');
    copyFileSync(good, join(dir, 'DC_a01.wav'));
    copyFileSync(good, join(dir, 'XX_a01.wav')); // unknown speaker
    copyFileSync(good, join(dir, 'DC_zz01.wav')); // unknown emotion code
    writeFileSync(join(dir, 'DC_a02.mp3'), 'ID3'); // not a WAV
    writeFileSync(join(dir, 'DC_a03.wav'), ''); // empty
    writeFileSync(join(dir, 'DC_d01.wav'), encodeWavPcm16(new Float32Array(1000), 16000).subarray(0, 300)); // truncated data
    writeFileSync(join(dir, 'DC_d02.wav'), Buffer.from('RIFF....WAVEjunk')); // no fmt chunk
    writeFileSync(join(dir, 'DC_d03.wav'), 'hello, I am text'); // not RIFF
    writeFileSync(join(dir, 'README.txt'), 'ignored');
  });
  it('lists every bad file with a clear reason', () => {
    const { clips, skipped } = loadCorpus('savee', dir);
    expect(clips.map((c) => c.id)).toEqual(['savee/DC_a01']);
    const reasons = Object.fromEntries(skipped.map((s) => [s.path.split('/').pop(), s.reason]));
    expect(reasons['XX_a01.wav']).toMatch(/unknown SAVEE speaker XX/);
    expect(reasons['DC_zz01.wav']).toMatch(/not the SAVEE pattern/);
    expect(reasons['DC_a02.mp3']).toMatch(/not a WAV file/);
    expect(reasons['DC_a03.wav']).toMatch(/empty file/);
    expect(reasons['DC_d01.wav']).toMatch(/truncated: data chunk declares 2000 bytes but the file holds 256/);
    expect(reasons['DC_d02.wav']).toMatch(/truncated: no fmt chunk/);
    expect(reasons['DC_d03.wav']).toMatch(/not a WAV file \(no RIFF\/WAVE header\)/);
    expect(reasons['README.txt']).toBeUndefined();
  });
  it('an empty folder gives a "no usable clips" entry, a missing one an error naming it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'serbench-empty-'));
    expect(loadCorpus('tess', empty).skipped).toEqual([{ path: empty, reason: 'no usable tess clips in this folder' }]);
    expect(() => loadCorpus('tess', join(empty, 'nope'))).toThrow(/nope: corpus folder does not exist/);
  });
  it('RAVDESS song and video files are skipped with their reason', () => {
    const d = mkdtempSync(join(tmpdir(), 'serbench-rav-'));
    mkdirSync(join(d, 'Actor_01'));
    const wav = encodeWavPcm16(new Float32Array(1600), 16000);
    writeFileSync(join(d, 'Actor_01', '03-02-01-01-01-01-01.wav'), wav);
    writeFileSync(join(d, 'Actor_01', '01-01-01-01-01-01-01.wav'), wav);
    writeFileSync(join(d, 'Actor_01', '03-01-09-01-01-01-01.wav'), wav);
    const { skipped } = loadCorpus('ravdess', d);
    expect(skipped.map((s) => s.reason)).toEqual([
      'modality 01 is not audio-only (03)',
      'unknown RAVDESS emotion code 09',
      'song, not speech (vocal channel 02)',
      'no usable ravdess clips in this folder',
    ]);
  });
});

describe.skipIf(!SAMPLE)('what people download', () => {
  it.skipIf(!SAMPLE)(
    'TESS: the release\'s "OA_" misspelling is read as OAF, with a note; a clip shorter than one frame is skipped with the reason',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'serbench-tess-'));
      copyFileSync(join(CORPORA_SAMPLE, 'tess', 'OAF_back_angry.wav'), join(dir, 'OA_bite_angry.wav'));
      copyFileSync(join(CORPORA_SAMPLE, 'tess', 'OAF_back_sad.wav'), join(dir, 'OAF_back_sad.wav'));
      writeFileSync(join(dir, 'OAF_tiny_sad.wav'), encodeWavPcm16(new Float32Array(200), 24414));
      const r = loadCorpus('tess', dir);
      const misspelt = r.clips.find((c) => c.id === 'tess/OA_bite_angry')!;
      expect(misspelt).toMatchObject({ speaker: 'tess-OAF', gender: 'female', age: 64, emotion: 'angry' });
      expect(r.notes).toEqual([{ path: join(dir, 'OA_bite_angry.wav'), reason: 'read as OAF_…: "OA_" is a known misspelling in the TESS release' }]);
      const { parseSuite } = await import('../harness/suite.ts');
      const { loadSuiteData } = await import('../harness/data.ts');
      const data = loadSuiteData(
        parseSuite(`name: t\ndatasets: [{ corpus: tess, path: ${JSON.stringify(dir)} }]\nmodels: [{ type: tree }]\n`, join(dir, 's.yaml')),
      );
      expect(data.clips.map((c) => c.id).sort()).toEqual(['tess/OAF_back_sad', 'tess/OA_bite_angry']);
      expect(data.skipped).toEqual([{ path: join(dir, 'OAF_tiny_sad.wav'), reason: '8.2 ms is shorter than one analysis frame (n_fft 512 at 16000 Hz)' }]);
      expect(data.notes).toHaveLength(1);
    },
  );
});

describe('the table of corpora', () => {
  it.skipIf(!SAMPLE)('drives the suite format, the cards and the loader; an unknown corpus is refused, never read as another', async () => {
    const { CORPUS_TABLE, FILE_CORPORA } = await import('../datasets/corpora/index.ts');
    const { CORPORA } = await import('../harness/suite-schema.ts');
    const { cardOf } = await import('../datasets/corpora/cards.ts');
    expect(FILE_CORPORA).toEqual(['ravdess', 'tess', 'crema-d', 'savee']);
    for (const c of FILE_CORPORA) {
      expect(CORPORA).toContain(c);
      expect(cardOf(c)).toBe(CORPUS_TABLE[c].card);
    }
    expect(() => loadCorpus('emodb' as never, CORPORA_SAMPLE)).toThrow(
      /unknown corpus "emodb" \(known: ravdess, tess, crema-d, savee; a corpus of your own: corpus: manifest\)/,
    );
  });
});
