/** tess: OAF_word_emotion.wav / YAF_…, flat or in Kaggle's OAF_angry/ folders. */
import type { NameParser, CorpusEntry } from './parse.ts';
import type { Emotion } from '../types.ts';

const TESS_EMOTIONS: Record<string, Emotion> = {
  angry: 'angry',
  disgust: 'disgust',
  fear: 'fearful',
  happy: 'happy',
  neutral: 'neutral',
  ps: 'surprised',
  sad: 'sad',
};
const TESS_AGES: Record<string, number> = { OAF: 64, YAF: 26 };

/** OAF_back_angry.wav / YAF_dog_ps.wav: speaker, word, emotion. Both speakers are female. */
const parseTess: NameParser = (file) => {
  const m = /^(OAF|OA|YAF)_([a-z]+)_([a-z]+)\.wav$/i.exec(file);
  if (!m) return 'name is not the TESS pattern OAF|YAF_<word>_<emotion>.wav';
  // The TESS release itself names a few OAF files "OA_…": the known misspelling is accepted, with a note.
  const misspelt = m[1].toUpperCase() === 'OA';
  const speaker = misspelt ? 'OAF' : m[1].toUpperCase();
  const label = m[3].toLowerCase();
  const emotion = TESS_EMOTIONS[label];
  if (!emotion) return `unknown TESS emotion "${m[3]}"`;
  return {
    speaker: `tess-${speaker}`,
    gender: 'female',
    age: TESS_AGES[speaker],
    emotion,
    originalLabel: label,
    sentence: `Say the word ${m[2].toLowerCase()}`,
    ...(misspelt ? { note: 'read as OAF_…: "OA_" is a known misspelling in the TESS release' } : {}),
  };
};

export const tess: CorpusEntry = {
  recognise: (n) => n.startsWith('tess') || n.startsWith('toronto'),
  parser: () => parseTess,
  card: {
    name: 'TESS (Toronto emotional speech set)',
    language: 'English (Canadian)',
    speakers: '2 female actresses, aged 26 (YAF) and 64 (OAF), 200 target words in a carrier phrase',
    licence: 'CC BY-NC-ND 4.0',
    citation: 'Pichora-Fuller, M. K., & Dupuis, K. (2020). Toronto emotional speech set (TESS). Borealis, V1. doi:10.5683/SP2/E8H2MF',
    source: 'University of Toronto Dataverse (Borealis)',
  },
};
