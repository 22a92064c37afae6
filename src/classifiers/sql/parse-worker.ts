import { parentPort } from 'node:worker_threads';
import { createSqlClassifier } from './sql-classifier.js';

// One worker of the large-statement pool (parse-worker-pool.ts): the same
// classifier as the main thread, without a cache (large texts are never cached).
const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs only as a worker thread');
const classifier = await createSqlClassifier({ cacheSize: 0 });
port.on('message', (message: { id: number; text: string }) => {
  port.postMessage({ id: message.id, classification: classifier.classify(message.text) });
});
port.postMessage({ ready: true });
