/**
 * Text files people hand us (manifests, demographics, fold lists): read as UTF-8 or refused
 * naming the line of the first byte that is not (a latin-1 file would otherwise merge "Zoë" and
 * "Zoé" into one replacement character), and CSV parsed as RFC 4180 says (a quoted field may hold
 * commas, quotes and newlines, as pandas writes them).
 */
import { readFileSync } from 'node:fs';

/** A problem of a file, at a line (1-based) when it has one. */
export class TextFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${problem}`);
    this.name = 'TextFileError';
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The text of a UTF-8 file (a byte-order mark dropped); refuses any other encoding, naming the line and byte. */
export function readUtf8(file: string): string {
  const bytes = readFileSync(file);
  try {
    return decoder.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
    throw new TextFileError(
      file,
      line,
      `not UTF-8 (byte 0x${bytes[at].toString(16).toUpperCase().padStart(2, '0')} at offset ${at}): save it as UTF-8, e.g. iconv -f latin1 -t utf-8 (names with accents would otherwise be misread)`,
    );
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i];
    const len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > b.length) return i;
    for (let j = 1; j < len; j++) if ((b[i + j] & 0xc0) !== 0x80) return i;
    try {
      decoder.decode(b.subarray(i, i + len));
    } catch {
      return i; // overlong or surrogate forms
    }
    i += len;
  }
  return b.length - 1;
}

/** One CSV record: its fields and the line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** RFC 4180: records end at a newline outside quotes; "" inside quotes is a quote. Blank lines are skipped. */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let cur = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let quoteLine = 0;
  const endRecord = () => {
    fields.push(cur);
    if (fields.length > 1 || fields[0].trim() !== '') records.push({ fields, line: start });
    fields = [];
    cur = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') ((cur += '"'), i++);
      else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cur += ch;
      }
    } else if (ch === '"') ((quoted = true), (quoteLine = line));
    else if (ch === ',') (fields.push(cur), (cur = ''));
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else cur += ch;
  }
  if (quoted) throw new TextFileError(file, quoteLine, 'a quoted field opened here is never closed');
  if (cur !== '' || fields.length) endRecord();
  return records;
}
