// Entry of a worker thread that runs TypeScript: registers tsx's loader, then imports the module named in
// workerData.entry (a file URL), which reads the rest of workerData itself.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
