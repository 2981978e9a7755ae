/** savee: DC_a01.wav (Kaggle) or DC/a01.wav (original). */
import { basename } from 'node:path';
import type { NameParser, CorpusEntry } from './parse.ts';
import type { Emotion } from '../types.ts';

const SAVEE_EMOTIONS: Record<string, Emotion> = {
  a: 'angry',
  d: 'disgust',
  f: 'fearful',
  h: 'happy',
  n: 'neutral',
  sa: 'sad',
  su: 'surprised',
};
const SAVEE_SPEAKERS = ['DC', 'JE', 'JK', 'KL'];

/** Kaggle layout DC_a01.wav, or the original DC/a01.wav. All four speakers are male. */
const parseSavee: NameParser = (file, relPath) => {
  let m = /^([A-Z]{2})_(a|d|f|h|n|sa|su)(\d\d)\.wav$/i.exec(file);
  if (!m) {
    const dir = basename(relPath.slice(0, -file.length - 1));
    const m2 = /^(a|d|f|h|n|sa|su)(\d\d)\.wav$/i.exec(file);
    if (m2) m = [file, dir, m2[1], m2[2]] as unknown as RegExpExecArray;
  }
  if (!m) return 'name is not the SAVEE pattern <speaker>_<a|d|f|h|n|sa|su><nn>.wav';
  const speaker = m[1].toUpperCase();
  if (!SAVEE_SPEAKERS.includes(speaker)) return `unknown SAVEE speaker ${m[1]} (DC, JE, JK, KL)`;
  const code = m[2].toLowerCase();
  return { speaker: `savee-${speaker}`, gender: 'male', emotion: SAVEE_EMOTIONS[code], originalLabel: code, sentence: `${code}${m[3]}` };
};

export const savee: CorpusEntry = {
  recognise: (n) => n.startsWith('savee'),
  parser: () => parseSavee,
  card: {
    name: 'SAVEE (Surrey Audio-Visual Expressed Emotion)',
    language: 'English (British)',
    speakers: '4 male speakers (DC, JE, JK, KL), postgraduate students and researchers',
    licence: 'free for research use, on registration with the University of Surrey',
    citation: "Haq, S., & Jackson, P. J. B. (2009). Speaker-dependent audio-visual emotion recognition. Proc. AVSP'09, Norwich, UK, 53–58.",
    source: 'University of Surrey, CVSSP',
  },
};
