import { createHash } from 'node:crypto';

/**
 * A name (model, fold, slice, corpus) as one path component, injectively: letters, digits, '-'
 * and '.' stay (a leading '.' does not), every other UTF-8 byte becomes %XX. Distinct names never
 * collide, '_' never occurs (so '_' can join components), and no result is '.', '..' or holds a
 * separator. The one place where names become file names.
 */
export function fileComponent(name: string): string {
  if (name === '') return '%';
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(ch) || (ch === '.' && out !== '') ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The longest name, as a file-name component, that a run accepts: job ids join a seed, a fold and a model within the file systems' 255 bytes. */
export const MAX_NAME_BYTES = 100;

/**
 * A slice's field (a clip field, a manifest column, or fields joined by '|') as the end of a file
 * name after `<model>__`: letters, digits, '_', '-' and '.' stay (a leading '.' does not), '|'
 * becomes '+', every other byte %XX. A column named "../x" or "mic / room" stays one file name.
 */
export function sliceFileName(field: string): string {
  let out = '';
  for (const byte of Buffer.from(field, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += ch === '|' ? '+' : /[A-Za-z0-9_-]/.test(ch) || (ch === '.' && out !== '') ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** fileComponent, kept within a file name's length: a long one is cut and told apart by a hash of the whole (clip ids can be long). */
export function boundedComponent(name: string): string {
  const fc = fileComponent(name);
  return fc.length <= 200 ? fc : `${fc.slice(0, 150)}-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}
