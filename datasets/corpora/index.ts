/**
 * The corpora people download, one file each (./<name>.ts: the name parser and the card) and one
 * entry here. The loader, `serbench datasets scan`, the suite format and the report read this
 * table; a fifth corpus is one file plus one entry. A corpus of your own needs neither: use a
 * manifest (datasets/corpora/manifest.ts).
 */
import type { CorpusEntry } from './parse.ts';
import { ravdess } from './ravdess.ts';
import { tess } from './tess.ts';
import { cremaD } from './crema-d.ts';
import { savee } from './savee.ts';

export const CORPUS_TABLE = { ravdess, tess, 'crema-d': cremaD, savee } satisfies Record<string, CorpusEntry>;
export type FileCorpus = keyof typeof CORPUS_TABLE;
export const FILE_CORPORA = Object.keys(CORPUS_TABLE) as FileCorpus[];
