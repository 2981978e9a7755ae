// A job worker process (see harness/job-process.ts). Beside the compiled job-process.js (dist/)
// it runs JavaScript; beside the TypeScript source it registers tsx first (development, tests).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('./job-process.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) (await import('tsx/esm/api')).register();
const { serveJobOrder } = await import(existsSync(fileURLToPath(compiled)) ? compiled.href : './job-process.ts');
serveJobOrder();
