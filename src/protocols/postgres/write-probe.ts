import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TxStatus } from './message-codes.js';
import { ownRound } from './own-round.js';
import type { ProtocolState } from './protocol-state.js';
import { errorResponse, readDataRowText, readyForQuery } from './server-messages.js';
import type { StatementEntry } from './statement-registry.js';
import type { UpstreamRelay } from './upstream-relay.js';

/** Rows written per relation in the current transaction, as PostgreSQL counts them for its statistics. */
const WRITTEN = `SELECT pg_catalog.quote_ident(schemaname) || '.' || pg_catalog.quote_ident(relname), n_tup_ins, n_tup_upd, n_tup_del FROM pg_catalog.pg_stat_xact_all_tables
 WHERE n_tup_ins + n_tup_upd + n_tup_del > 0`;

const UNMEASURED = errorResponse({ severity: 'ERROR', code: '57014', message: 'airlock: the statement was interrupted while its rows were counted, and was undone' });

interface Counts {
  ins: number;
  upd: number;
  del: number;
}

export type ProbeOutcome =
  /** Within the limit (or it failed as it would have anyway): it stands, and the client has its answers. */
  | { readonly kind: 'done' }
  /** Over the limit: undone, nothing reached the client; ask again with what it would have done. */
  | { readonly kind: 'over'; readonly rows: number; readonly impact: string }
  /** The session ended while probing. */
  | { readonly kind: 'gone' }
  /** Airlock's own savepoint or transaction could not be opened: the session cannot go on in a known state. */
  | { readonly kind: 'broken' };

export interface WriteProbeInit {
  readonly relay: UpstreamRelay;
  readonly upstream: Socket;
  readonly client: Socket;
  readonly protocol: ProtocolState;
  readonly prepareEntry: (text: string) => StatementEntry;
  readonly live: () => boolean;
}

/**
 * Measures a write before it can commit: the client's statement runs inside a
 * savepoint (inside its transaction) or a transaction Airlock opens (in
 * autocommit), its answers are held back, and the rows it wrote are read from
 * PostgreSQL's own per-transaction counters (every table, so trigger and CTE
 * writes count). Within the limit it is released or committed and the client
 * gets its answers as if nothing happened in between; above, it is rolled
 * back to exactly the state before it, and nothing reaches the client.
 * Airlock's own statements are named extended-protocol rounds, so the
 * client's unnamed statement and portal are untouched.
 */
export class WriteProbe {
  private readonly name = `airlock_probe_${randomBytes(6).toString('hex')}`;

  constructor(private readonly init: WriteProbeInit) {}

  /** `send` writes the client's messages upstream and records them in the protocol state; the relay must be caught up. */
  async run(send: () => void, limit: number): Promise<ProbeOutcome> {
    const { relay, live } = this.init;
    const autocommit = relay.status === TxStatus.Idle;
    const savepoint = this.name;
    // The counters accumulate until the backend reports its statistics (at most once a second), across
    // transactions: only the difference around the statement is its own.
    const before = new Map<string, Counts>();
    const opened = await this.own([autocommit ? 'BEGIN' : `SAVEPOINT ${savepoint}`, WRITTEN], null, countsInto(before));
    if (!live()) return { kind: 'gone' };
    if (opened !== TxStatus.InBlock) return { kind: 'broken' };
    const answers: Buffer[] = [];
    const statusAfter = await this.capture(send, answers);
    if (!live()) return { kind: 'gone' };
    if (statusAfter === TxStatus.Failed) {
      // It failed as it would have without Airlock: in autocommit that ends the transaction; inside the
      // client's own, the transaction stays failed (the savepoint goes with it at the client's ROLLBACK).
      const status = autocommit ? await this.own(['ROLLBACK']) : TxStatus.Failed;
      return this.deliver(answers, status);
    }
    const after = new Map<string, Counts>();
    const counted = await this.own([WRITTEN], null, countsInto(after));
    if (!live()) return { kind: 'gone' };
    if (counted !== TxStatus.InBlock) {
      // The count itself failed (a cancel from the client landed on it): the statement must not stand
      // unmeasured, and the client must not see it succeed. It is undone, and the client told so.
      const status = autocommit ? await this.own(['ROLLBACK']) : TxStatus.Failed;
      return this.deliver([UNMEASURED], status);
    }
    const change = difference(before, after);
    if (change.rows <= limit) {
      const status = await this.own([autocommit ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`], answers);
      return this.deliver(answers, status);
    }
    await this.own(autocommit ? ['ROLLBACK'] : [`ROLLBACK TO SAVEPOINT ${savepoint}`, `RELEASE SAVEPOINT ${savepoint}`]);
    if (!live()) return { kind: 'gone' };
    return { kind: 'over', rows: change.rows, impact: change.impact };
  }

  private deliver(answers: Buffer[], status: number): ProbeOutcome {
    if (!this.init.live()) return { kind: 'gone' };
    const { client } = this.init;
    client.cork();
    for (const frame of answers) client.write(frame);
    client.write(readyForQuery(status));
    client.uncork();
    return { kind: 'done' };
  }

  /** The client's messages, answered into `answers` instead of to the client. */
  private capture(send: () => void, answers: Buffer[]): Promise<number> {
    const { relay, upstream } = this.init;
    const done = relay.ownRound(upstream, Buffer.alloc(0), null, answers);
    send();
    return done;
  }

  /**
   * One statement of Airlock's own as a named round (a simple Query would drop
   * the client's unnamed statement). Errors (a COMMIT refused by a deferred
   * constraint) go to `answers` when given, so the client sees them.
   */
  private own(statements: readonly string[], answers: Buffer[] | null = null, onRow: ((buffer: Buffer, body: number, end: number) => void) | null = null): Promise<number> {
    const { relay, upstream, protocol, prepareEntry } = this.init;
    const round = ownRound(protocol, this.name, statements.map(prepareEntry));
    const errors: Buffer[] = [];
    return relay.ownRound(upstream, round, onRow, errors).then((status) => {
      // Only errors and notices matter from Airlock's own rounds.
      if (answers) for (const frame of errors) if (frame[0] === 0x45 || frame[0] === 0x4e) answers.push(frame);
      return status;
    });
  }
}

function countsInto(rows: Map<string, Counts>): (buffer: Buffer, body: number, end: number) => void {
  return (buffer, body, end) => {
    const [relation, ins, upd, del] = readDataRowText(buffer, body, end);
    if (typeof relation === 'string') rows.set(relation, { ins: Number(ins ?? 0), upd: Number(upd ?? 0), del: Number(del ?? 0) });
  };
}

/** What the statement wrote: total rows, and a sentence naming the table it wrote most. */
export function difference(before: ReadonlyMap<string, Counts>, after: ReadonlyMap<string, Counts>): { rows: number; impact: string } {
  let rows = 0;
  let top: { relation: string; verb: string; count: number } | null = null;
  let tables = 0;
  for (const [relation, now] of after) {
    const was = before.get(relation) ?? { ins: 0, upd: 0, del: 0 };
    const d = { ins: now.ins - was.ins, upd: now.upd - was.upd, del: now.del - was.del };
    const total = d.ins + d.upd + d.del;
    if (total <= 0) continue;
    tables++;
    rows += total;
    const [verb, count] = d.del >= d.upd && d.del >= d.ins ? ['delete', d.del] : d.upd >= d.ins ? ['update', d.upd] : ['insert', d.ins];
    if (top === null || count > top.count) top = { relation, verb, count };
  }
  if (top === null) return { rows, impact: 'would change no rows' };
  const others = tables > 1 ? `, ${formatCount(rows - top.count)} more in ${tables - 1} other table${tables > 2 ? 's' : ''}` : '';
  return { rows, impact: `would ${top.verb} ${formatCount(top.count)} row${top.count === 1 ? '' : 's'} of ${top.relation}${others}` };
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
