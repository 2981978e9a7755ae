/** crema-d: AudioWAV/1001_DFA_ANG_XX.wav with VideoDemographics.csv. */
import { basename } from 'node:path';
import { type NameParser, type CorpusEntry } from './parse.ts';
import { readUtf8, parseCsv } from '../text-files.ts';
import type { Emotion, Gender } from '../types.ts';

const CREMA_EMOTIONS: Record<string, Emotion> = {
  ANG: 'angry',
  DIS: 'disgust',
  FEA: 'fearful',
  HAP: 'happy',
  NEU: 'neutral',
  SAD: 'sad',
};
const CREMA_LEVELS: Record<string, string> = { LO: 'low', MD: 'medium', HI: 'high', XX: 'unspecified' };
const CREMA_SENTENCES: Record<string, string> = {
  IEO: "It's eleven o'clock",
  TIE: 'That is exactly what happened',
  IOM: "I'm on my way to the meeting",
  IWW: 'I wonder what this is about',
  TAI: 'The airplane is almost full',
  MTI: 'Maybe tomorrow it will be cold',
  IWL: 'I would like a new alarm clock',
  ITH: "I think I have a doctor's appointment",
  DFA: "Don't forget a jacket",
  ITS: "I think I've seen this before",
  TSI: 'The surface is slick',
  WSI: "We'll stop in a couple of minutes",
};

interface Demographic {
  age?: number;
  gender?: Gender;
  race?: string;
  ethnicity?: string;
}

/** 1001_DFA_ANG_XX.wav: actor, sentence, emotion, level. */
function crema(demo: Map<string, Demographic>): NameParser {
  return (file) => {
    const m = /^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})\.wav$/i.exec(file);
    if (!m) return 'name is not the CREMA-D pattern <actor>_<sentence>_<emotion>_<level>.wav';
    const [, actor, sentence, emo, level] = m;
    const emotion = CREMA_EMOTIONS[emo.toUpperCase()];
    if (!emotion) return `unknown CREMA-D emotion code ${emo}`;
    if (!CREMA_LEVELS[level.toUpperCase()]) return `unknown CREMA-D level ${level}`;
    const d = demo.get(actor) ?? {};
    return {
      speaker: `crema-d-${actor}`,
      ...d,
      emotion,
      originalLabel: emo.toUpperCase(),
      intensity: CREMA_LEVELS[level.toUpperCase()],
      sentence: CREMA_SENTENCES[sentence.toUpperCase()] ?? sentence.toUpperCase(),
    };
  };
}

/** Read VideoDemographics.csv: "ActorID","Age","Sex","Race","Ethnicity". */
export function readCremaDemographics(path: string): Map<string, Demographic> {
  // A byte-order mark (as Excel saves CSV) is not part of the first column's name (readUtf8 drops it).
  const rows = parseCsv(readUtf8(path), path).map((r) => r.fields);
  if (rows.length === 0) throw new Error(`${path}: demographics file is empty`);
  const header = rows[0].map((h) => h.toLowerCase());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path}: demographics file has no "${name}" column (columns: ${header.join(', ')})`);
    return i;
  };
  const [iId, iAge, iSex, iRace, iEth] = ['actorid', 'age', 'sex', 'race', 'ethnicity'].map(col);
  const out = new Map<string, Demographic>();
  for (const f of rows.slice(1)) {
    const sex = f[iSex]?.toLowerCase();
    out.set(f[iId], {
      age: Number.isFinite(Number(f[iAge])) ? Number(f[iAge]) : undefined,
      gender: sex === 'female' || sex === 'male' ? sex : undefined,
      race: f[iRace] || undefined,
      ethnicity: f[iEth] || undefined,
    });
  }
  return out;
}

export const cremaD: CorpusEntry = {
  recognise: (n) => n.startsWith('crema'),
  parser: (files, opts) => {
    const demoPath = opts.demographics ?? files.find((p) => basename(p).toLowerCase() === 'videodemographics.csv');
    return crema(demoPath ? readCremaDemographics(demoPath) : new Map());
  },
  card: {
    name: 'CREMA-D (Crowd-sourced Emotional Multimodal Actors Dataset)',
    language: 'English (American)',
    speakers: '91 actors, 48 male and 43 female, aged 20–74, of several races and ethnicities (VideoDemographics.csv)',
    licence: 'Open Database License (ODbL 1.0); contents under the Database Contents License (DbCL 1.0)',
    citation:
      'Cao, H., Cooper, D. G., Keutmann, M. K., Gur, R. C., Nenkova, A., & Verma, R. (2014). CREMA-D: Crowd-sourced Emotional Multimodal Actors Dataset. IEEE Trans. Affective Computing 5(4), 377–390. doi:10.1109/TAFFC.2014.2336244',
    source: 'github.com/CheyneyComputerScience/CREMA-D',
  },
};
