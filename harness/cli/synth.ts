/**
 * `serbench synth`: the synthetic corpus written out as 16-bit WAV files with a metadata.csv that
 * is at once a serbench manifest (`corpus: manifest`) and a Hugging Face audiofolder's metadata
 * (file_name, label, speaker, gender, and the recording condition as an attribute to slice by).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeCorpus, renderUtterance, DEFAULT_SYNTHETIC } from '../../datasets/corpora/synthetic.ts';
import { encodeWavPcm16 } from '../../datasets/audio/wav.ts';
import { toCsv } from '../run-folder/write-results.ts';
import type { Gender } from '../../datasets/types.ts';

export async function writeSyntheticCorpus(
  out: string,
  o: { speakers: number; clips: number; seed: number; bias?: { gender: Gender; snrDb: number } },
): Promise<number> {
  const { clips } = synthesizeCorpus({ ...DEFAULT_SYNTHETIC, speakersPerCorpus: o.speakers, clipsPerEmotion: o.clips, seed: o.seed, bias: o.bias });
  const rows: unknown[][] = [];
  for (const c of clips) {
    if (c.source.kind !== 'synthetic') continue;
    const file = `${c.id}.wav`;
    mkdirSync(join(out, c.corpus), { recursive: true });
    writeFileSync(join(out, file), encodeWavPcm16(renderUtterance(c.source.spec), c.source.spec.sampleRate));
    rows.push([file, c.emotion, c.speaker, c.gender, c.corpus, c.source.spec.duration, c.source.spec.condition.snrDb, c.source.spec.condition.bandLimit]);
  }
  writeFileSync(join(out, 'metadata.csv'), toCsv(['file_name', 'label', 'speaker', 'gender', 'condition', 'seconds', 'snr_db', 'band_limited'], rows));
  return rows.length;
}
