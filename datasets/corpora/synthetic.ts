/**
 * A deterministic generator of speech-like utterances (source–filter model) whose emotions
 * differ in prosody the way acted emotions do: pitch level and range, tempo, loudness,
 * spectral tilt, jitter and breathiness. Speakers differ in pitch and vocal-tract length;
 * "recording conditions" act as corpora; one speaker group can be recorded worse on purpose
 * (a known bias that the fairness report must find).
 */
import type { Clip, Emotion, Gender, LoadResult, RecordingCondition, UtteranceSpec } from '../types.ts';
export type { RecordingCondition, UtteranceSpec } from '../types.ts';
import { Rng } from '../../core/random.ts';

export const SYNTH_VERSION = 3;

interface Prosody {
  f0: number; // pitch multiplier
  range: number; // pitch excursion, fraction of f0
  tempo: number; // syllables per second
  energy: number; // amplitude multiplier
  tilt: number; // source low-pass coefficient: higher = darker voice
  jitter: number; // relative period jitter
  breath: number; // aspiration noise level
  rise: number; // final pitch movement (+ rising, − falling)
}

/** Emotion prosody, loosely after Scherer (2003) / Banse & Scherer (1996) profiles of acted speech. */
export const PROSODY: Record<Emotion, Prosody> = {
  neutral: { f0: 1.0, range: 0.12, tempo: 4.0, energy: 1.0, tilt: 0.55, jitter: 0.01, breath: 0.04, rise: -0.1 },
  calm: { f0: 0.95, range: 0.08, tempo: 3.4, energy: 0.75, tilt: 0.65, jitter: 0.008, breath: 0.06, rise: -0.12 },
  happy: { f0: 1.25, range: 0.35, tempo: 4.6, energy: 1.3, tilt: 0.4, jitter: 0.012, breath: 0.04, rise: 0.1 },
  sad: { f0: 0.88, range: 0.06, tempo: 2.9, energy: 0.55, tilt: 0.72, jitter: 0.02, breath: 0.1, rise: -0.2 },
  angry: { f0: 1.3, range: 0.3, tempo: 4.9, energy: 1.8, tilt: 0.25, jitter: 0.018, breath: 0.03, rise: -0.15 },
  fearful: { f0: 1.45, range: 0.22, tempo: 5.4, energy: 0.9, tilt: 0.5, jitter: 0.04, breath: 0.08, rise: 0.05 },
  disgust: { f0: 0.92, range: 0.2, tempo: 3.2, energy: 1.05, tilt: 0.6, jitter: 0.025, breath: 0.12, rise: -0.25 },
  surprised: { f0: 1.4, range: 0.45, tempo: 4.3, energy: 1.25, tilt: 0.42, jitter: 0.014, breath: 0.05, rise: 0.45 },
};

/** Vowel formants (F1, F2, F3 in Hz) of an adult male voice; females scale by formantScale. */
const VOWELS: [number, number, number][] = [
  [730, 1090, 2440],
  [530, 1840, 2480],
  [270, 2290, 3010],
  [570, 840, 2410],
  [300, 870, 2240],
  [660, 1720, 2410],
];

export const DEFAULT_CONDITIONS: RecordingCondition[] = [
  { name: 'synth-studio', snrDb: 35, bandLimit: false },
  { name: 'synth-phone', snrDb: 18, bandLimit: true },
];

export interface SyntheticOptions {
  speakersPerCorpus: number;
  clipsPerEmotion: number;
  emotions: Emotion[];
  conditions: RecordingCondition[];
  sampleRate: number;
  seed: number;
  /** Record one group worse: every clip matching corpus/gender gets noise at this SNR. */
  bias?: { corpus?: string; gender?: Gender; snrDb: number };
}

export const DEFAULT_SYNTHETIC: SyntheticOptions = {
  speakersPerCorpus: 8,
  clipsPerEmotion: 4,
  emotions: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'],
  conditions: DEFAULT_CONDITIONS,
  sampleRate: 16000,
  seed: 7,
};

/** The synthetic corpus as clips (audio is generated when a clip is read). */
export function synthesizeCorpus(opts: SyntheticOptions): LoadResult {
  const clips: Clip[] = [];
  const rng = new Rng(opts.seed);
  for (const cond of opts.conditions) {
    for (let s = 0; s < opts.speakersPerCorpus; s++) {
      const gender: Gender = s % 2 === 0 ? 'female' : 'male';
      const speakerF0 = gender === 'female' ? rng.uniform(185, 235) : rng.uniform(100, 135);
      const formantScale = gender === 'female' ? rng.uniform(1.1, 1.2) : rng.uniform(0.95, 1.05);
      const speaker = `${cond.name}-s${String(s + 1).padStart(2, '0')}`;
      const biased = opts.bias && (opts.bias.corpus ?? cond.name) === cond.name && (opts.bias.gender ?? gender) === gender;
      const condition = biased ? { ...cond, name: cond.name, snrDb: opts.bias!.snrDb } : cond;
      for (const emotion of opts.emotions) {
        for (let k = 0; k < opts.clipsPerEmotion; k++) {
          const id = `${speaker}-${emotion}-${k + 1}`;
          const spec: UtteranceSpec = {
            version: SYNTH_VERSION,
            seed: rng.int(2 ** 31),
            sampleRate: opts.sampleRate,
            duration: Math.round(rng.uniform(1.6, 2.6) * 100) / 100,
            emotion,
            speakerF0,
            formantScale,
            condition,
          };
          clips.push({
            id: `${cond.name}/${id}`,
            source: { kind: 'synthetic', spec },
            corpus: cond.name,
            speaker,
            gender,
            emotion,
            originalLabel: emotion,
            sentence: `utterance ${k + 1}`,
            duration: spec.duration,
          });
        }
      }
    }
  }
  return { clips, skipped: [] };
}

/** Two-pole resonator coefficients for a formant at f Hz with bandwidth bw Hz. */
function resonator(f: number, bw: number, sr: number): [number, number, number] {
  const r = Math.exp((-Math.PI * bw) / sr);
  const a1 = 2 * r * Math.cos((2 * Math.PI * f) / sr);
  const a2 = -r * r;
  return [1 - a1 - a2, a1, a2]; // unity gain at DC, normalised later by peak level
}

/** Render one utterance to mono float32 samples. */
export function renderUtterance(spec: UtteranceSpec): Float32Array {
  const rng = new Rng(spec.seed);
  const sr = spec.sampleRate;
  const n = Math.round(spec.duration * sr);
  const p = PROSODY[spec.emotion];
  const out = new Float32Array(n);
  // Per-utterance variation so that emotions overlap as they do in real speech.
  const vary = (x: number, rel: number) => x * (1 + rel * rng.normal());
  const f0Base = vary(spec.speakerF0 * p.f0, 0.04);
  const range = Math.max(0.02, vary(p.range, 0.15));
  const tempo = Math.max(1.5, vary(p.tempo, 0.07));
  const energy = Math.max(0.2, vary(p.energy, 0.08));
  const tilt = Math.min(0.92, Math.max(0.05, vary(p.tilt, 0.05)));

  // Syllable plan: onsets, lengths, vowels, accents.
  const lead = Math.round(rng.uniform(0.08, 0.2) * sr);
  const tail = Math.round(rng.uniform(0.08, 0.2) * sr);
  const speech = n - lead - tail;
  const nSyl = Math.max(2, Math.round((tempo * speech) / sr));
  const sylLen = speech / nSyl;
  const syllables = Array.from({ length: nSyl }, () => ({
    vowel: rng.pick(VOWELS),
    accent: rng.uniform(-1, 1),
    amp: rng.uniform(0.7, 1.0),
  }));

  const g = new Float64Array(n); // voiced + breath source
  let phase = 0;
  let period = sr / f0Base;
  let lp = 0;
  for (let i = lead; i < lead + speech; i++) {
    const t = (i - lead) / speech; // 0..1 through the utterance
    const si = Math.min(nSyl - 1, Math.floor((i - lead) / sylLen));
    const within = (i - lead - si * sylLen) / sylLen;
    const contour = 1 + range * (0.6 * syllables[si].accent * Math.sin(Math.PI * within) - 0.3 * t) + p.rise * Math.max(0, t - 0.75) * 4 * range;
    const f0 = f0Base * Math.max(0.5, contour);
    phase += 1 / period;
    if (phase >= 1) {
      phase -= 1;
      period = (sr / f0) * (1 + p.jitter * rng.normal()); // a new glottal cycle
    }
    // Rosenberg-like glottal flow derivative: open 60%, closing 40%.
    const pulse = phase < 0.6 ? Math.sin((Math.PI * phase) / 0.6) : -Math.sin((Math.PI * (phase - 0.6)) / 0.4) * 1.5;
    lp = (1 - tilt) * pulse + tilt * lp; // spectral tilt
    const env = Math.sin(Math.PI * Math.min(1, Math.max(0, (within - 0.05) / 0.85))) ** 0.7 * syllables[si].amp;
    g[i] = env * (lp + p.breath * 3 * rng.normal());
  }

  // Formant filtering, coefficients updated per 64-sample block following the syllable's vowel.
  const y = new Float64Array(n);
  const state = [0, 0, 0, 0, 0, 0];
  const bws = [80, 100, 140];
  for (let b = 0; b < n; b += 64) {
    const si = Math.min(nSyl - 1, Math.max(0, Math.floor((b - lead) / sylLen)));
    const coeffs = syllables[si].vowel.map((f, k) => resonator(f * spec.formantScale, bws[k], sr));
    for (let i = b; i < Math.min(n, b + 64); i++) {
      let x = g[i];
      for (let k = 0; k < 3; k++) {
        const [gain, a1, a2] = coeffs[k];
        const v = gain * x + a1 * state[2 * k] + a2 * state[2 * k + 1];
        state[2 * k + 1] = state[2 * k];
        state[2 * k] = v;
        x = v;
      }
      y[i] = x + 0.3 * g[i]; // a little direct radiation keeps the high band alive
    }
  }

  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(y[i]));
  const level = (0.25 * energy) / (peak || 1);
  let power = 0;
  for (let i = 0; i < n; i++) {
    y[i] *= level;
    power += y[i] * y[i];
  }
  power /= Math.max(1, speech);
  if (spec.condition.bandLimit) bandLimit(y, sr);
  // The room's noise does not follow the speaker's emotion: its level is set against this
  // utterance's level at neutral energy, so a loud (angry) clip has a better SNR than a quiet
  // (sad) one, as in a real recording, and the noise level itself says nothing of the emotion.
  const noiseRms = Math.sqrt(power / (energy * energy) / 10 ** (spec.condition.snrDb / 10));
  for (let i = 0; i < n; i++) out[i] = Math.max(-1, Math.min(1, y[i] + noiseRms * rng.normal()));
  return out;
}

/** Telephone band: second-order high-pass at 300 Hz and low-pass at 3400 Hz (RBJ biquads). */
function bandLimit(y: Float64Array, sr: number): void {
  const biquad = (f: number, high: boolean) => {
    const w = (2 * Math.PI * f) / sr;
    const alpha = Math.sin(w) / Math.SQRT2;
    const c = Math.cos(w);
    const b0 = high ? (1 + c) / 2 : (1 - c) / 2;
    const b1 = high ? -(1 + c) : 1 - c;
    const a0 = 1 + alpha;
    let x1 = 0,
      x2 = 0,
      y1 = 0,
      y2 = 0;
    for (let i = 0; i < y.length; i++) {
      const x = y[i];
      const v = (b0 * x + b1 * x1 + b0 * x2 + 2 * c * y1 - (1 - alpha) * y2) / a0;
      ((x2 = x1), (x1 = x), (y2 = y1), (y1 = v));
      y[i] = v;
    }
  };
  biquad(300, true);
  biquad(3400, false);
}
