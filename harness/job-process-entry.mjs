// A job worker process (see harness/job-process.ts): register tsx, then run the worker.
import { register } from 'tsx/esm/api';
register();
const { serveJobOrder } = await import('./job-process.ts');
serveJobOrder();
