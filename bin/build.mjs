// Compiles the TypeScript sources to dist/ (tsc rewrites the .ts import specifiers to .js) and
// copies what the code reads beside itself: the report templates and stylesheet, the feature
// kernels' wasm, the worker entry points. Run by `npm ci` (prepare), `npm start` and `npm test`.
import { spawnSync } from 'node:child_process';
import { cpSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Built beside dist/ and swapped in at the end: a run going on in this checkout (its job
// processes import models lazily from dist/) never finds dist/ half-built or missing, as it
// did when the build deleted dist/ first and `npm test` rebuilt it under a running suite.
const final = join(root, 'dist');
const dist = join(root, 'dist.next');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', dist], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
cpSync(join(root, 'reports', 'templates'), join(dist, 'reports', 'templates'), { recursive: true });
copyFileSync(join(root, 'reports', 'style.css'), join(dist, 'reports', 'style.css'));
mkdirSync(join(dist, 'build'), { recursive: true });
// Every kernel build (the feature kernels; the network kernels, plain and relaxed SIMD): one
// missing made the wasm backend fail to start and training fall back to the cpu backend.
for (const f of readdirSync(join(root, 'build')).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(root, 'build', f), join(dist, 'build', f));
for (const entry of ['harness/run/job-process-entry.mjs', 'datasets/features/worker-entry.mjs', 'models/training-thread-entry.mjs'])
  copyFileSync(join(root, entry), join(dist, entry));
writeFileSync(join(dist, 'BUILT'), `${new Date().toISOString()}\n`);
const old = join(root, 'dist.old');
rmSync(old, { recursive: true, force: true });
if (existsSync(final)) renameSync(final, old);
renameSync(dist, final);
rmSync(old, { recursive: true, force: true });
