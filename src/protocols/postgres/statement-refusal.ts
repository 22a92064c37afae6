import type { Socket } from 'node:net';
import type { Classification } from '../../model/action.js';
import { abortRound } from './client-messages.js';
import { TxStatus } from './message-codes.js';
import type { ProtocolState } from './protocol-state.js';
import type { ProxyCounters } from './proxy-stats.js';
import { errorResponse, readyForQuery } from './server-messages.js';
import { hasFlag } from './statement-details.js';
import type { Refusal } from './statement-gate.js';
import type { StatementEntry } from './statement-registry.js';
import type { UpstreamRelay } from './upstream-relay.js';

const UNPARSEABLE_MESSAGE = 'airlock: the statement could not be parsed, so it was not sent';

/** Why a statement that could not be classified is refused: unparseable, or the large-statement parser's limits. */
export function unparseableRefusal(classification: Classification): Refusal | null {
  if (!hasFlag(classification, 'unparseable')) return null;
  const reason = classification.facts.details?.['reason'];
  if (reason === 'parse_queue_full') return { code: '53400', message: 'airlock: too many large statements are waiting to be parsed; retry in a moment' };
  if (reason === 'parse_timeout') return { code: '54001', message: 'airlock: the statement took too long to parse, so it was not sent' };
  return { code: '42601', message: UNPARSEABLE_MESSAGE };
}

export interface StatementRefusalsInit {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly relay: UpstreamRelay;
  readonly protocol: ProtocolState;
  readonly counters: ProxyCounters;
  readonly prepareEntry: (text: string) => StatementEntry;
  /** The session is still running (a refusal that waited must not write to a closed one). */
  readonly live: () => boolean;
  /** Writes queued for the upstream leave now (the abort round must not wait behind a cork). */
  readonly uncork: () => void;
}

/**
 * Answers refused statements in the protocol's own form, so that client and
 * upstream agree on the transaction state. A Query, FunctionCall or
 * Sync-terminated batch gets ErrorResponse + ReadyForQuery; a
 * Flush-terminated batch gets ErrorResponse, and the client's messages up to
 * its Sync are skipped, as PostgreSQL does. Inside a transaction block (or
 * with an unsynced batch upstream) the upstream is made to fail too, with a
 * round of Airlock's own, so a later COMMIT rolls back on both sides.
 */
export class StatementRefusals {
  private discardUntilSync: Refusal | null = null;

  constructor(private readonly init: StatementRefusalsInit) {}

  /** A Flush-terminated batch was refused: the client's messages are skipped until its Sync. */
  get discarding(): boolean {
    return this.discardUntilSync !== null;
  }

  async refuse(refusal: Refusal, endsUnit: boolean): Promise<void> {
    const { counters, relay, client } = this.init;
    counters.statementsRejected++;
    // Synthetic answers must follow the upstream's answers to everything forwarded before.
    await relay.caughtUp();
    if (!this.init.live()) return;
    const error = errorResponse({ severity: 'ERROR', code: refusal.code, message: refusal.message, detail: refusal.detail });
    if (!endsUnit) {
      client.write(error);
      this.discardUntilSync = refusal;
      return;
    }
    await this.settle(refusal, error);
  }

  /** The Sync that ends a skipped batch: ReadyForQuery, after failing the upstream's block if needed. */
  finishDiscard(): Promise<void> {
    const refusal = this.discardUntilSync as Refusal;
    this.discardUntilSync = null;
    return this.settle(refusal, null);
  }

  private async settle(refusal: Refusal, error: Buffer | null): Promise<void> {
    const { relay, protocol, upstream, client } = this.init;
    let status = relay.status;
    if (status === TxStatus.InBlock || relay.unsynced) {
      this.init.uncork();
      // The upstream fails with the client's own error, so its log says why too.
      const round = abortRound(refusal.code, refusal.message);
      protocol.sentParse('', this.init.prepareEntry(round.text));
      protocol.sentBind('', '');
      protocol.sentExecute('');
      protocol.sentSync();
      status = await relay.ownRound(upstream, round.bytes);
      if (!this.init.live()) return;
    }
    const ready = readyForQuery(status);
    client.write(error ? Buffer.concat([error, ready]) : ready);
  }
}
