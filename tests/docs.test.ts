/**
 * The README is a user's manual and docs/ is written for readers: neither speaks of the project's
 * own history (sessions, stops, issue numbers), and every local link they make leads somewhere.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const docs = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? docs(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
const FILES = ['README.md', 'CHANGELOG.md', ...docs('docs')];

describe('the documentation', () => {
  it('has no development-history wording: "this session", "previous stop", an issue number', () => {
    const found = FILES.flatMap((f) =>
      readFileSync(join(root, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (/this session|previous stop|(^|[^\w&])#\d/i.test(line) ? [`${f}:${i + 1}: ${line.trim().slice(0, 80)}`] : [])),
    );
    expect(found).toEqual([]);
  });

  it('every relative link and every file path it names in a link exists', () => {
    const broken = FILES.flatMap((f) =>
      [...readFileSync(join(root, f), 'utf8').matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
        .map((m) => m[1])
        .filter((target) => !/^[a-z]+:/.test(target))
        .filter((target) => !existsSync(resolve(dirname(join(root, f)), target)))
        .map((target) => `${f}: ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it('the README has a table of contents whose anchors are its sections, and is a length one reads in a sitting', () => {
    const text = readFileSync(join(root, 'README.md'), 'utf8');
    const anchors = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    const sections = new Set(
      [...text.matchAll(/^## (.+)$/gm)].map((m) =>
        m[1]
          .toLowerCase()
          .replace(/[^\w\s-]/g, '')
          .replace(/\s/g, '-'),
      ),
    );
    expect(anchors.length).toBeGreaterThan(10);
    expect(anchors.filter((a) => !sections.has(a))).toEqual([]);
    expect(text.split('\n').length).toBeLessThan(500);
  });
});
