/** ravdess: Actor_XX/03-01-EE-II-SS-RR-AA.wav (speech, audio only). */
import type { NameParser, CorpusEntry } from './parse.ts';
import type { Emotion } from '../types.ts';

const RAVDESS_EMOTIONS: Record<string, Emotion> = {
  '01': 'neutral',
  '02': 'calm',
  '03': 'happy',
  '04': 'sad',
  '05': 'angry',
  '06': 'fearful',
  '07': 'disgust',
  '08': 'surprised',
};
const RAVDESS_STATEMENTS: Record<string, string> = {
  '01': 'Kids are talking by the door',
  '02': 'Dogs are sitting by the door',
};

/** 03-01-EE-II-SS-RR-AA.wav: modality, vocal channel, emotion, intensity, statement, repetition, actor. */
const parseRavdess: NameParser = (file) => {
  const m = /^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.wav$/i.exec(file);
  if (!m) return 'name is not the RAVDESS 7-field pattern MM-VV-EE-II-SS-RR-AA.wav';
  const [, modality, channel, emo, intensity, statement, , actor] = m;
  if (modality !== '03') return `modality ${modality} is not audio-only (03)`;
  if (channel !== '01') return channel === '02' ? 'song, not speech (vocal channel 02)' : `unknown vocal channel ${channel}`;
  const emotion = RAVDESS_EMOTIONS[emo];
  if (!emotion) return `unknown RAVDESS emotion code ${emo}`;
  if (intensity !== '01' && intensity !== '02') return `unknown intensity code ${intensity}`;
  if (!RAVDESS_STATEMENTS[statement]) return `unknown statement code ${statement}`;
  const actorNo = Number(actor);
  if (actorNo < 1 || actorNo > 24) return `actor ${actor} outside 01–24`;
  return {
    speaker: `ravdess-${actor}`,
    gender: actorNo % 2 === 1 ? 'male' : 'female',
    emotion,
    originalLabel: emo,
    intensity: intensity === '01' ? 'normal' : 'strong',
    sentence: RAVDESS_STATEMENTS[statement],
  };
};

export const ravdess: CorpusEntry = {
  recognise: (n) => n.startsWith('ravdess'),
  parser: () => parseRavdess,
  card: {
    name: 'RAVDESS (Ryerson Audio-Visual Database of Emotional Speech and Song), speech',
    language: 'English (North American)',
    speakers: '24 professional actors, 12 female and 12 male, two lexically matched statements',
    licence: 'CC BY-NC-SA 4.0',
    citation:
      'Livingstone, S. R., & Russo, F. A. (2018). The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS). PLoS ONE 13(5): e0196391. doi:10.1371/journal.pone.0196391',
    source: 'Zenodo, doi:10.5281/zenodo.1188976',
  },
};
