import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Classification } from '../../model/action.js';

export interface ParseWorkerPoolOptions {
  /** Worker threads (each loads its own parser, ~100 MB). */
  readonly workers: number;
  /** Characters of text waiting or being parsed, at most; beyond, a statement is refused. */
  readonly maxQueuedChars: number;
  /** A parse running longer than this is abandoned (the worker is replaced) and the statement refused. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

interface Job {
  readonly id: number;
  readonly text: string;
  readonly resolve: (classification: Classification) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/**
 * Built: parse-worker.js beside this file. From TypeScript sources (tests,
 * `npm run dev` under tsx) Node 20 does not carry tsx's loader into a worker,
 * so a small bootstrap loads the .ts entry through tsx's own API.
 */
function startParseWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./parse-worker.js', import.meta.url));
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./parse-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}));`;
  return new Worker(bootstrap, { eval: true });
}

/** Fails closed: what could not be parsed is critical and unparseable, as in the classifier itself. */
function failed(reason: string): Classification {
  return { risk: 'critical', facts: { kinds: ['unparseable'], objects: [], flags: ['unparseable'], details: { statements: [], settings: [], prepare: [], execute: [], deallocate: [], reason } } };
}

function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) freeze(v);
  }
  return value;
}

/**
 * Parses large statements on worker threads, so that one session's 10 MB
 * query never stalls every other session's `SELECT 1` on the event loop.
 * Workers start on first use. Each session sends one statement at a time
 * (its message pump waits for the verdict), so in-flight work per session is
 * one statement; across sessions the queued text is bounded. Never rejects:
 * a parse that fails, times out or does not fit is classified unparseable.
 */
export class ParseWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private queuedChars = 0;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: ParseWorkerPoolOptions) {
    if (!Number.isSafeInteger(options.workers) || options.workers < 1) throw new TypeError('ParseWorkerPool: options.workers must be a positive integer');
  }

  classify(text: string): Promise<Classification> {
    if (this.closed) return Promise.resolve(failed('shutting_down'));
    if (this.queuedChars + text.length > this.options.maxQueuedChars) return Promise.resolve(failed('parse_queue_full'));
    return new Promise((resolve) => {
      this.queuedChars += text.length;
      this.queue.push({ id: this.nextId++, text, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(failed('shutting_down'));
    await Promise.all(this.slots.splice(0).map((slot) => this.retire(slot, 'shutting_down')));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.job === null);
      if (!slot && this.slots.length < this.options.workers) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift() as Job;
      this.run(slot, job);
    }
  }

  private spawn(): Slot {
    const worker = startParseWorker();
    worker.unref();
    const slot: Slot = { worker, ready: Promise.resolve(), job: null, timer: null };
    slot.ready = new Promise<void>((resolve) => {
      const onReady = (message: { ready?: boolean }) => {
        if (message.ready) {
          worker.off('message', onReady);
          resolve();
        }
      };
      worker.on('message', onReady);
    });
    worker.on('message', (message: { id?: number; classification?: Classification }) => {
      const job = slot.job;
      if (!job || message.id !== job.id || !message.classification) return;
      this.finish(slot, freeze(message.classification));
    });
    worker.on('error', (err) => {
      this.options.logger.error({ err }, 'SQL parse worker failed');
      void this.replace(slot, 'worker_failed');
    });
    worker.on('exit', () => {
      if (this.slots.includes(slot)) void this.replace(slot, 'worker_exited');
    });
    this.slots.push(slot);
    return slot;
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    void slot.ready.then(() => {
      if (slot.job !== job) return;
      slot.timer = setTimeout(() => {
        this.options.logger.warn({ chars: job.text.length }, 'SQL parse worker timed out; the statement is refused and the worker replaced');
        void this.replace(slot, 'parse_timeout');
      }, this.options.timeoutMs);
      slot.worker.postMessage({ id: job.id, text: job.text });
    });
  }

  private finish(slot: Slot, classification: Classification): void {
    const job = slot.job as Job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    this.queuedChars -= job.text.length;
    job.resolve(classification);
    this.dispatch();
  }

  /** Ends a worker (stuck, failed or gone): its statement is refused, a fresh one takes the queue. */
  private async replace(slot: Slot, reason: string): Promise<void> {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    await this.retire(slot, reason);
    if (!this.closed) this.dispatch();
  }

  private async retire(slot: Slot, reason: string): Promise<void> {
    if (slot.timer) clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = null;
    if (job) {
      this.queuedChars -= job.text.length;
      job.resolve(failed(reason));
    }
    await slot.worker.terminate().catch(() => undefined);
  }
}
