/**
 * What every corpus file shares: the shape of a name parser, the loader options, the card. Kept apart from the table of corpora (./index.ts) so corpus files import no table.
 */
import type { Clip } from '../types.ts';

/** What a file name says about a clip; the loader adds id, source and corpus. `note`: accepted, but worth saying (a known misspelling). */
export type ParsedName = Omit<Clip, 'id' | 'source' | 'corpus'> & { note?: string };
/** A parser returns the metadata, or a string saying why the name does not fit. */
export type NameParser = (file: string, relPath: string) => ParsedName | string;

export interface LoaderOptions {
  /** CREMA-D only: a VideoDemographics.csv; by default one found in the corpus folder is used. */
  demographics?: string;
}

/** A corpus people download: how to read a folder of it, and its card for the report. */
export interface CorpusEntry {
  /** Does a folder of this name hold this corpus (for `serbench datasets scan`)? */
  recognise: (folderName: string) => boolean;
  /** The parser of its file names; `files` are all files found in the folder. */
  parser: (files: string[], opts: LoaderOptions) => NameParser;
  card: CorpusCard;
}

/** Where a corpus comes from, its licence, how to cite it, its language and speakers as published. */
export interface CorpusCard {
  name: string;
  language: string;
  speakers: string;
  licence: string;
  citation: string;
  source: string;
}
