/** Versions recorded in every run's provenance. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** The package root: the nearest folder up with serbench's package.json (sources or dist/). */
const root = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'serbench') return dir;
    } catch {
      // not here: go up
    }
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..');
})();

/**
 * A dependency's version from its package.json, found by walking up from its resolved entry
 * (a package whose `exports` hides package.json, as vega-lite's does, cannot be asked directly).
 */
function pkgVersion(name: string): string | null {
  let dir: string;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    return null;
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === name) return pkg.version;
    } catch {
      // no package.json here: go up
    }
  }
  return null;
}

const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();

/** The commit, with "+dirty" when tracked files differ from it (the run's code is then not that commit). */
function commit(): string | null {
  try {
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${head}+dirty` : head;
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
    'tfjs-backend-wasm': pkgVersion('@tensorflow/tfjs-backend-wasm'),
    'tfjs-node': pkgVersion('@tensorflow/tfjs-node'),
    // The SVM is our port of libsvm's solver (models/libsvm.ts), which gives its models.
    libsvm: '3.22 (port)',
    'vega-lite': pkgVersion('vega-lite'),
    vega: pkgVersion('vega'),
    handlebars: pkgVersion('handlebars'),
    yaml: pkgVersion('yaml'),
    platform: `${process.platform} ${process.arch}`,
  };
}
