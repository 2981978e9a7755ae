// A feature worker thread. Worker threads do not inherit the TypeScript loader of the thread that
// starts them: beside the compiled worker.js (dist/) it loads JavaScript; beside the
// TypeScript source it registers tsx first (development, tests).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('./worker.js', import.meta.url);
if (existsSync(fileURLToPath(compiled))) await import(compiled.href);
else {
  (await import('tsx/esm/api')).register();
  await import('./worker.ts');
}
