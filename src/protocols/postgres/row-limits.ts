import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Classification } from '../../model/action.js';
import { ClientCode, TxStatus } from './message-codes.js';
import { type ProtocolState, Sent, type SentMessage } from './protocol-state.js';
import type { ProxyCounters } from './proxy-stats.js';
import { estimateRows, rowCapRefusal } from './read-cap.js';
import { readStatementEffects } from './statement-details.js';
import { type Refusal, type StatementGate, refusalOf } from './statement-gate.js';
import type { StatementEntry } from './statement-registry.js';
import type { UpstreamRelay } from './upstream-relay.js';
import { cappableRead, estimable, measuredClassification, probeable, unmeasurableWrite, unmeasuredClassification } from './write-measure.js';
import { WriteProbe } from './write-probe.js';

const PARSE_COMPLETE = Buffer.from([0x31, 0, 0, 0, 4]);

/** What RowLimits needs of the session it works for. */
export interface RowLimitHost {
  readonly relay: UpstreamRelay;
  readonly upstream: Socket;
  readonly client: Socket;
  readonly protocol: ProtocolState;
  readonly gate: StatementGate;
  readonly counters: ProxyCounters;
  readonly log: Logger;
  readonly prepareEntry: (text: string) => StatementEntry;
  /** The classification with what its names resolve to in the target's catalog. */
  readonly resolve: (classification: Classification) => Classification;
  /** There is a catalog: user functions' bodies were read, not assumed. */
  readonly resolvedByCatalog: boolean;
  live(): boolean;
  uncork(): void;
  refuse(refusal: Refusal, endsUnit: boolean): Promise<void>;
  fatal(code: string, message: string): void;
}

/** One simple Query the Gate allowed with a row limit. */
export interface LimitedQuery {
  readonly frame: Buffer;
  readonly text: string;
  readonly classification: Classification;
  readonly reason: string | undefined;
  /** Forwards it as usual (one ReadyForQuery owed). */
  readonly forward: () => void;
  /** Bookkeeping once it went through (counters, the session's reason). */
  readonly done: () => void;
}

/** One Sync- or Flush-terminated extended batch the Gate allowed with a row limit. */
export interface LimitedBatch {
  readonly sync: boolean;
  readonly entries: readonly StatementEntry[];
  readonly sent: readonly SentMessage[];
  /** The batch's bytes (views of the client's buffer). */
  readonly bytes: () => Buffer | Buffer[];
  readonly reset: () => void;
  readonly reason: string | undefined;
  readonly forward: () => void;
  readonly done: () => void;
  readonly merge: (classifications: readonly Classification[]) => Classification;
}

const BROKEN = 'airlock: the write could not be measured before commit; the session is ended';

/**
 * What a verdict's `maxRows` asks of the session: a write the text does not
 * bound is measured before it commits (WriteProbe) and, above the limit,
 * undone and put to the Gate again with its measured count; a write that
 * cannot be measured as sent is put to the Gate as one over its limit; a read
 * is held on PostgreSQL's estimate, or cut at the limit as it streams.
 */
export class RowLimits {
  constructor(private readonly host: RowLimitHost) {}

  /** Handles the query, or undefined when nothing applies and it is forwarded as usual. */
  query(query: LimitedQuery, limit: number): Promise<void> | undefined {
    const resolved = this.host.resolve(query.classification);
    if (probeable(resolved, this.host.resolvedByCatalog)) return this.probeQuery(query, limit);
    if (cappableRead(resolved)) return this.cappedQuery(query, limit, estimable(resolved, this.host.resolvedByCatalog));
    if (unmeasurableWrite(resolved, this.host.resolvedByCatalog)) {
      return this.askUnmeasured(query.text, query.classification, 'it is one of several statements in one query; send it on its own', query.reason, true, () => {
        query.forward();
        query.done();
      });
    }
    return undefined;
  }

  /** Handles the batch, or undefined when nothing applies and it is forwarded as usual. */
  batch(batch: LimitedBatch, limit: number): Promise<void> | undefined {
    const { sync, entries } = batch;
    const single = sync && entries.length === 1 ? (entries[0] as StatementEntry) : null;
    if (single !== null && batchProbeable(batch.sent) && probeable(this.host.resolve(single.classification), this.host.resolvedByCatalog)) return this.probeBatch(batch, single, limit);
    if (entries.some((entry) => unmeasurableWrite(this.host.resolve(entry.classification), this.host.resolvedByCatalog))) {
      const why = sync ? 'the batch holds several statements, or closes a prepared statement; send it on its own' : 'the batch ends in Flush, not Sync';
      const command = entries.map((entry) => entry.text).join(';\n');
      return this.askUnmeasured(command, batch.merge(entries.map((entry) => entry.classification)), why, batch.reason, sync, batch.forward);
    }
    if (single !== null && cappableRead(this.host.resolve(single.classification))) {
      return this.host.relay.caughtUp().then(() => {
        if (!this.host.live()) return;
        this.capNextAnswer(limit);
        batch.forward();
      });
    }
    return undefined;
  }

  private probe(): WriteProbe {
    const { relay, upstream, client, protocol, prepareEntry } = this.host;
    return new WriteProbe({ relay, upstream, client, protocol, prepareEntry, live: () => this.host.live() });
  }

  /**
   * A write allowed up to `limit` rows: run inside a savepoint (or a
   * transaction of Airlock's own) and measured before it can commit.
   * Above the limit it is undone and the Gate is asked again with the
   * measured count: approved, it runs once more, for real; refused, as any
   * refusal.
   */
  private async probeQuery(query: LimitedQuery, limit: number): Promise<void> {
    const { relay, upstream, protocol } = this.host;
    await relay.caughtUp();
    if (!this.host.live()) return;
    if (relay.status === TxStatus.Failed || relay.unsynced) {
      // It fails unread in a failed transaction; after an unsynced batch it cannot be wrapped: the classifier's risk stands.
      query.forward();
      query.done();
      return;
    }
    this.host.uncork();
    const outcome = await this.probe().run(() => {
      upstream.write(query.frame);
      protocol.sentQuery(readStatementEffects(query.classification), query.text);
    }, limit);
    if (outcome.kind === 'gone' || !this.host.live()) return;
    if (outcome.kind === 'broken') return this.host.fatal('XX000', BROKEN);
    this.host.counters.writesMeasured++;
    if (outcome.kind === 'done') return query.done();
    const measured = measuredClassification(query.classification, outcome.rows, outcome.impact, limit);
    await this.askAgain(query.text, measured, query.reason, true, () => {
      query.forward();
      query.done();
    });
  }

  /** The extended-protocol form of probeQuery. */
  private async probeBatch(batch: LimitedBatch, entry: StatementEntry, limit: number): Promise<void> {
    const { relay, upstream, protocol, client } = this.host;
    const parts = batch.bytes();
    // A copy: the client's buffer may be reused while the batch waits for a second verdict.
    const bytes = Buffer.from(Array.isArray(parts) ? Buffer.concat(parts) : parts);
    const sent = batch.sent.slice();
    batch.reset();
    // After an undone measurement, the named statements it prepared stay prepared: a rerun must not prepare them again.
    const rerunBytes = withoutNamedParses(bytes);
    const rerunSent = sent.filter((message) => !(message.kind === Sent.Parse && message.name !== ''));
    const sendWith = (payload: Buffer, messages: readonly SentMessage[]) => (): void => {
      upstream.write(payload);
      for (const message of messages) protocol.sent(message);
      protocol.sentSync();
    };
    await relay.caughtUp();
    if (!this.host.live()) return;
    if (relay.status === TxStatus.Failed || relay.unsynced) {
      sendWith(bytes, sent)();
      relay.expectReady();
      return batch.done();
    }
    this.host.uncork();
    const outcome = await this.probe().run(sendWith(bytes, sent), limit);
    if (outcome.kind === 'gone' || !this.host.live()) return;
    if (outcome.kind === 'broken') return this.host.fatal('XX000', BROKEN);
    this.host.counters.writesMeasured++;
    if (outcome.kind === 'done') return batch.done();
    const measured = measuredClassification(entry.classification, outcome.rows, outcome.impact, limit);
    await this.askAgain(entry.text, measured, batch.reason, true, () => {
      // The client still expects a ParseComplete for each Parse it sent; the server answered those during the measurement.
      for (let i = sent.length - rerunSent.length; i > 0; i--) client.write(PARSE_COMPLETE);
      sendWith(rerunBytes, rerunSent)();
      relay.expectReady();
      batch.done();
    });
  }

  /**
   * A read a rule caps at `limit` rows: held first when PostgreSQL's
   * estimate is above it (approved, it runs uncapped), else run with the cap.
   */
  private async cappedQuery(query: LimitedQuery, limit: number, estimate: boolean): Promise<void> {
    const { relay, upstream, protocol, prepareEntry } = this.host;
    await relay.caughtUp();
    if (!this.host.live()) return;
    if (estimate && relay.status !== TxStatus.Failed && !relay.unsynced) {
      this.host.uncork();
      const rows = await estimateRows({ relay, upstream, protocol, prepareEntry }, query.text);
      if (!this.host.live()) return;
      if (rows !== undefined && rows > limit) {
        const impact = `would return about ${Math.round(rows).toLocaleString('en-US')} rows (PostgreSQL's estimate), over max_rows ${limit.toLocaleString('en-US')}`;
        return this.askAgain(query.text, measuredClassification(query.classification, Math.round(rows), impact, limit), query.reason, true, () => {
          query.forward();
          query.done();
        });
      }
    }
    this.capNextAnswer(limit);
    query.forward();
    query.done();
  }

  private askUnmeasured(command: string, classification: Classification, why: string, reason: string | undefined, endsUnit: boolean, forward: () => void): Promise<void> {
    return this.askAgain(command, unmeasuredClassification(classification, why), reason, endsUnit, forward);
  }

  /** The Gate decides once more, on what was measured; allowed, `forward` runs it. */
  private async askAgain(command: string, classification: Classification, reason: string | undefined, endsUnit: boolean, forward: () => void): Promise<void> {
    const verdict = await this.host.gate.check({ command, classification }, reason);
    if (!this.host.live()) return;
    if (!verdict.allowed) return this.host.refuse(refusalOf(verdict), endsUnit);
    forward();
  }

  private capNextAnswer(limit: number): void {
    this.host.relay.capRows(limit, rowCapRefusal(limit), () => this.host.log.info({ limit }, 'a read passed its max_rows; the rest of its rows are dropped'));
  }
}

/**
 * A rerun leaves out named Parses (the statement exists by then) and answers
 * them itself, so they must come before everything else; a Close in the batch
 * would undo what the rerun relies on.
 */
function batchProbeable(sent: readonly SentMessage[]): boolean {
  let started = false;
  for (const message of sent) {
    if (message.kind === Sent.Close) return false;
    if (message.kind !== Sent.Parse) started = true;
    else if (message.name !== '' && started) return false;
  }
  return true;
}

/** The batch's bytes without its named Parse messages (each frame: code, int32 length, body; a Parse body starts with its name). */
function withoutNamedParses(bytes: Buffer): Buffer {
  const kept: Buffer[] = [];
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const end = offset + 1 + bytes.readUInt32BE(offset + 1);
    const namedParse = bytes[offset] === ClientCode.Parse && bytes[offset + 5] !== 0;
    if (!namedParse) kept.push(bytes.subarray(offset, end));
    offset = end;
  }
  return Buffer.concat(kept);
}
