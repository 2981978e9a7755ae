/** `serbench datasets scan`: what a folder of corpora holds, and what could not be used. */
import { detectCorpora, loadCorpus, type FileCorpus } from '../../datasets/corpora/load.ts';
import type { SkippedFile } from '../../datasets/types.ts';

export interface CorpusScan {
  corpus: FileCorpus;
  dir: string;
  clips: number;
  speakers: Record<string, number>;
  /** emotion → gender → clips */
  table: Record<string, Record<string, number>>;
  skipped: SkippedFile[];
}

export function scanDatasets(dir: string, corpus?: FileCorpus): CorpusScan[] {
  const found = corpus ? [{ corpus, dir }] : detectCorpora(dir);
  if (found.length === 0) throw new Error(`${dir}: no corpus folder found (expected ravdess/, tess/, crema-d/ or savee/ inside, or name one with --corpus)`);
  return found.map(({ corpus: c, dir: d }) => {
    const { clips, skipped } = loadCorpus(c, d);
    const table: Record<string, Record<string, number>> = {};
    const speakers: Record<string, number> = {};
    for (const clip of clips) {
      const g = clip.gender ?? 'unknown';
      table[clip.emotion] ??= {};
      table[clip.emotion][g] = (table[clip.emotion][g] ?? 0) + 1;
      speakers[clip.speaker] = (speakers[clip.speaker] ?? 0) + 1;
    }
    return { corpus: c, dir: d, clips: clips.length, speakers, table, skipped };
  });
}

export function formatScan(scans: CorpusScan[]): string {
  const lines: string[] = [];
  for (const s of scans) {
    lines.push(`${s.corpus} (${s.dir}): ${s.clips} clips, ${Object.keys(s.speakers).length} speakers`);
    const genders = [...new Set(Object.values(s.table).flatMap((g) => Object.keys(g)))].sort();
    lines.push(`  ${'emotion'.padEnd(11)}${genders.map((g) => g.padStart(9)).join('')}${'total'.padStart(9)}`);
    for (const [emotion, byGender] of Object.entries(s.table).sort()) {
      const total = Object.values(byGender).reduce((a, b) => a + b, 0);
      lines.push(`  ${emotion.padEnd(11)}${genders.map((g) => String(byGender[g] ?? 0).padStart(9)).join('')}${String(total).padStart(9)}`);
    }
    for (const sk of s.skipped) lines.push(`  skipped ${sk.path}: ${sk.reason}`);
    lines.push('');
  }
  const total = scans.reduce((a, s) => a + s.clips, 0);
  const skipped = scans.reduce((a, s) => a + s.skipped.length, 0);
  lines.push(`total: ${total} clips, ${skipped} skipped`);
  return lines.join('\n') + '\n';
}
