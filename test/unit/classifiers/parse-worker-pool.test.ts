import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { ParseWorkerPool } from '../../../src/classifiers/sql/parse-worker-pool.js';

const logger = pino({ level: 'silent' });
const reason = (c: { facts: { details?: Readonly<Record<string, unknown>> } }) => c.facts.details?.['reason'];

describe('ParseWorkerPool', () => {
  const pools: ParseWorkerPool[] = [];
  const pool = (options: Partial<ConstructorParameters<typeof ParseWorkerPool>[0]> = {}) => {
    const p = new ParseWorkerPool({ workers: 1, maxQueuedChars: 10_000_000, timeoutMs: 30_000, logger, ...options });
    pools.push(p);
    return p;
  };
  after(async () => Promise.all(pools.map((p) => p.close())));

  it('classifies on a worker exactly as the classifier does (frozen, fail-closed shapes)', async () => {
    const p = pool();
    const deletion = await p.classify('DELETE FROM orders');
    assert.equal(deletion.risk, 'high');
    assert.deepEqual([...deletion.facts.flags].sort(), ['no_where', 'rows_unbounded', 'writes']);
    assert.ok(Object.isFrozen(deletion.facts));
    const broken = await p.classify('SELEC nothing');
    assert.equal(broken.risk, 'critical');
    assert.ok(broken.facts.flags.includes('unparseable'));
  });

  it('refuses what does not fit in the queue, without parsing it', async () => {
    const p = pool({ maxQueuedChars: 1024 });
    const refused = await p.classify(`SELECT ${'1,'.repeat(1000)}1`);
    assert.ok(refused.facts.flags.includes('unparseable'));
    assert.equal(reason(refused), 'parse_queue_full');
    assert.equal((await p.classify('SELECT 1')).risk, 'low');
  });

  it('refuses a parse that outlasts the timeout (fail closed), and a new worker takes the next statement', async () => {
    const p = pool({ timeoutMs: 1 });
    const big = `SELECT ${Array.from({ length: 200_000 }, (_, i) => i).join(',')}`;
    const slow = await p.classify(big);
    assert.equal(reason(slow), 'parse_timeout');
    // The stuck worker was terminated; the next statement gets a fresh one (and the same 1 ms budget).
    const again = await p.classify(big);
    assert.equal(reason(again), 'parse_timeout');
  });

  it('answers what is pending when closed', async () => {
    const p = pool();
    const pending = p.classify(`SELECT ${Array.from({ length: 100_000 }, (_, i) => i).join(',')}`);
    await p.close();
    assert.ok((await pending).facts.flags.includes('unparseable'));
    assert.equal(reason(await p.classify('SELECT 1')), 'shutting_down');
  });
});
