#!/usr/bin/env node
// Launcher: runs the compiled CLI (dist/, built by `npm ci`, `npm start` and `npm test`). When the
// TypeScript sources are newer than that build (someone is editing them) and tsx is installed,
// it runs the sources through tsx instead, so an edit is never silently ignored.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// `serbench --version` needs none of the CLI: answered before anything is loaded.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  process.stdout.write(`${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}\n`);
  process.exit(0);
}
const built = join(root, 'dist', 'BUILT');

function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== 'kernels' && e.name !== 'templates') visit(join(dir, e.name));
      } else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(dir, e.name)).mtimeMs);
    }
  };
  for (const d of ['core', 'harness', 'datasets', 'models', 'reports']) visit(join(root, d));
  return newest;
}

const fresh = existsSync(built) && statSync(built).mtimeMs >= newestSource();
if (fresh) {
  await import('../dist/harness/cli/main.js');
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    if (!existsSync(built)) {
      process.stderr.write('serbench: not built: run `npm run build` (npm ci does it)\n');
      process.exit(1);
    }
  }
  if (register) {
    register();
    await import('../harness/cli/main.ts');
  } else {
    process.stderr.write('serbench: the sources are newer than dist/ and tsx is not installed: run `npm run build`\n');
    await import('../dist/harness/cli/main.js');
  }
}
