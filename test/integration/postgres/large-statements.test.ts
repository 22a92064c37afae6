import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type ProxyHarness, startProxy } from '../../support/pg-proxy.js';
import { requirePostgres } from '../../support/services.js';

// A large statement is parsed on a worker thread: while one session's statement
// of a few MB is being classified, another session's queries keep flowing.
describe('large statements are parsed off the event loop', () => {
  let harness: ProxyHarness;
  before(async () => {
    harness = await startProxy({ listener: { parse_offload_chars: 65_536 } });
  });
  after(async () => harness?.close());

  /** A valid query of about `chars` characters whose classification takes a while. */
  function bigQuery(chars: number): string {
    const items: string[] = [];
    let length = 0;
    for (let i = 0; length < chars; i++) {
      const item = String(i);
      items.push(item);
      length += item.length + 1;
    }
    return `SELECT count(*) AS n FROM (VALUES (1)) v(x) WHERE x IN (${items.join(',')})`;
  }

  it("other sessions' statements complete while a multi-MB statement is being parsed, and both get their results", async (t) => {
    if (!(await requirePostgres(t))) return;
    const heavy = new pg.Client(harness.client());
    const light = new pg.Client(harness.client());
    await heavy.connect();
    await light.connect();
    try {
      const started = Date.now();
      let bigDone = 0;
      const big = heavy.query(bigQuery(2_000_000)).then((result) => {
        bigDone = Date.now();
        return result.rows[0].n as string;
      });
      // The light session runs back to back until the big statement is answered. With the parse on the
      // event loop it would stall for the whole parse (about two thirds of the big statement's time here);
      // its longest pause must stay a small part of it (a ratio, so a slower machine does not matter).
      let last = started;
      let longestPause = 0;
      let count = 0;
      while (bigDone === 0) {
        assert.equal((await light.query('SELECT $1::int AS i', [count])).rows[0].i, count);
        const now = Date.now();
        longestPause = Math.max(longestPause, now - last);
        last = now;
        count++;
      }
      assert.equal(await big, '1');
      const total = bigDone - started;
      assert.ok(longestPause < total / 3, `the light session paused ${longestPause} ms during a ${total} ms statement (${count} queries)`);
    } finally {
      await heavy.end();
      await light.end();
    }
  });

  it('a large Parse is classified the same way: a large DELETE without WHERE is still gated', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client());
    await client.connect();
    try {
      const padding = ' '.repeat(100_000);
      const result = await client.query({ text: `SELECT $1::int AS n${padding}`, values: [7] });
      assert.equal(result.rows[0].n, 7);
      const deletes = harness.gate.checks.length;
      await client.query({ text: `DELETE FROM pg_temp.no_such_table${padding}`, values: [] }).catch(() => undefined);
      const action = harness.gate.checks.slice(deletes).find((a) => a.classification.facts.kinds.includes('delete'));
      assert.ok(action, 'the large DELETE reached the gate classified as a delete');
      assert.ok(action.classification.facts.flags.includes('no_where'));
    } finally {
      await client.end();
    }
  });
});
