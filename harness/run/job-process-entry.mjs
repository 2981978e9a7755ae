// A job worker process (see harness/run/job-worker.ts). Beside the compiled job-worker.js (dist/)
// it runs JavaScript; beside the TypeScript source it registers tsx first (development, tests).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('./job-worker.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) (await import('tsx/esm/api')).register();
const { serveJobOrder } = await import(existsSync(fileURLToPath(compiled)) ? compiled.href : './job-worker.ts');
serveJobOrder();
