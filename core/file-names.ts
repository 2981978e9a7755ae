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
