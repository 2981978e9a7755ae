/** Versions recorded in every run's provenance. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function pkgVersion(name: string): string | null {
  try {
    return JSON.parse(readFileSync(join(dirname(require.resolve(`${name}/package.json`)), 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function commit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

export function versions() {
  return {
    serbench: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string,
    commit: commit(),
    node: process.version,
    tfjs: pkgVersion('@tensorflow/tfjs'),
    'libsvm-js': pkgVersion('libsvm-js'),
    'vega-lite': pkgVersion('vega-lite'),
    platform: `${process.platform} ${process.arch}`,
  };
}
