import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { PostgresTargetConfig } from '../../config/schema.js';
import { BadRequestError } from '../../errors.js';
import type { Classification } from '../../model/action.js';
import type { Verdict } from '../../gate/verdict.js';
import type { Principal } from '../../model/principal.js';
import type { Cancellable } from './cancel-keys.js';
import { ExtendedBatch } from './extended-batch.js';
import { readBindNames, readCString, readParse, readQueryText, readTargetKind } from './extended-messages.js';
import { mergeClassifications } from './merge-classifications.js';
import { ClientCode, TxStatus } from './message-codes.js';
import { FRAME_ERROR, NEED_MORE, type MessageFramer } from './message-framer.js';
import { unpinnedParameter } from './pinned-parameters.js';
import { reconcilePrepared } from './prepared-reconcile.js';
import { ProtocolState, Sent, UNCERTAIN } from './protocol-state.js';
import type { ProxyContext } from './proxy-context.js';
import { errorResponse } from './server-messages.js';
import { expandExecute } from './statement-expansion.js';
import { type StatementDetails, readStatementDetails, readStatementEffects, reasonSetting } from './statement-details.js';
import { CANCEL_MESSAGE, type GatedCommand, type Refusal, StatementGate, refusalOf } from './statement-gate.js';
import type { StatementEntry } from './statement-registry.js';
import type { UpstreamLink } from './upstream-connection.js';
import { sendUpstreamCancel } from './upstream-connection.js';
import { StatementRefusals, unparseableRefusal } from './statement-refusal.js';
import { UpstreamRelay } from './upstream-relay.js';
import { RowLimits } from './row-limits.js';

/** Bytes a client may have waiting while a statement is being decided; beyond, its socket is paused. */
const MAX_BACKLOG_BYTES = 1024 * 1024;
const TERMINATE = Buffer.from([ClientCode.Terminate, 0, 0, 0, 4]);
function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x0c) return false;
  }
  return true;
}

export const SessionState = {
  Ready: 'ready',
  /** The client sent Terminate: answers still owed are relayed until the upstream closes. */
  Terminating: 'terminating',
  Closed: 'closed',
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

export interface SessionInit {
  readonly ctx: ProxyContext;
  readonly client: Socket;
  readonly clientFramer: MessageFramer;
  readonly upstream: UpstreamLink;
  readonly principal: Principal;
  readonly target: PostgresTargetConfig;
  readonly sessionId: string;
  readonly source: string;
  readonly reason: string | undefined;
  readonly logger: Logger;
}

/**
 * The ready phase of one client connection: frames client messages, gates
 * every statement (simple Query, an extended batch at its Sync/Flush, a
 * FunctionCall), forwards what is allowed exactly once and in order, and
 * refuses the rest so that client and upstream agree on the transaction state.
 * While a statement is being decided nothing after it is read or forwarded.
 * What the server holds under each prepared statement and portal name is
 * mirrored by ProtocolState from the server's own answers.
 */
export class ProxySession implements Cancellable {
  readonly startedAt = Date.now();
  private state: SessionState = SessionState.Ready;
  private readonly ctx: ProxyContext;
  private readonly client: Socket;
  private readonly upstream: Socket;
  private readonly framer: MessageFramer;
  private readonly relay: UpstreamRelay;
  private readonly protocol: ProtocolState;
  private readonly batch = new ExtendedBatch();
  private readonly gate: StatementGate;
  private readonly refusals: StatementRefusals;
  private readonly rowLimits: RowLimits;
  private readonly log: Logger;
  private readonly key: { processId: number; secretKey: number };
  private readonly unregister: () => void;
  private readonly upstreamKey: { processId: number; secretKey: number };
  private reason: string | undefined;
  private pumping = false;
  private upstreamCorked = false;
  private upstreamNeedsDrain = false;
  private expiryTimer: NodeJS.Timeout | null = null;
  /** Why the session ended, when Airlock ended it; a held statement's withdrawal says so. */
  private endReason: string | undefined;

  private readonly onClientData = (chunk: Buffer): void => {
    this.framer.push(chunk);
    if (!this.pumping) this.pump();
    else if (this.framer.pendingBytes > MAX_BACKLOG_BYTES) this.updateClientFlow();
  };
  private readonly onUpstreamData = (chunk: Buffer): void => {
    this.relay.receive(chunk);
    if (this.client.writableNeedDrain && !this.upstream.isPaused()) {
      this.upstream.pause();
      this.client.once('drain', this.resumeUpstream);
    }
  };
  private readonly resumeUpstream = (): void => {
    if (this.state === SessionState.Ready) this.upstream.resume();
  };
  private readonly onUpstreamDrain = (): void => {
    this.upstreamNeedsDrain = false;
    this.updateClientFlow();
  };
  private readonly onClientGone = (): void => this.close();
  private readonly onClientError = (err: Error): void => {
    this.log.debug({ err: err.message }, 'postgres client socket error');
    this.close();
  };
  private readonly onUpstreamClose = (): void => {
    if (this.state === SessionState.Terminating) return this.close();
    if (this.state !== SessionState.Ready) return;
    if (this.relay.fatalSeen) this.close();
    else this.fatal('08006', `airlock: the connection to target "${this.target.name}" was lost`);
  };
  private readonly onUpstreamError = (err: Error): void => {
    this.log.warn({ err: err.message }, 'postgres upstream socket error');
  };
  private readonly uncorkUpstream = (): void => {
    this.upstreamCorked = false;
    this.upstream.uncork();
  };
  private readonly classify = (text: string): Classification => this.ctx.classifier.classify(text);
  private readonly prepareEntry = (text: string): StatementEntry => ({ text, classification: this.classify(text) });
  private readonly predictStatement = (name: string) => this.protocol.predictStatement(name);
  /** What a classification's names resolve to in the target's catalog (as is without one). */
  private readonly resolveNames: (classification: Classification) => Classification;

  readonly id: string;
  readonly principal: Principal;
  readonly target: PostgresTargetConfig;
  readonly source: string;

  constructor(init: SessionInit) {
    this.ctx = init.ctx;
    const catalog = init.ctx.catalogs.get(init.target.name);
    this.resolveNames = catalog ? (c) => catalog.refine(c) : (c) => c;
    this.client = init.client;
    this.framer = init.clientFramer;
    this.upstream = init.upstream.socket;
    this.id = init.sessionId;
    this.principal = init.principal;
    this.target = init.target;
    this.source = init.source;
    this.reason = init.reason;
    this.log = init.logger;
    this.upstreamKey = { processId: init.upstream.processId, secretKey: init.upstream.secretKey };
    this.protocol = new ProtocolState({
      classify: this.classify,
      onDesync: (reason) => {
        this.log.error({ reason }, 'postgres session out of step with the server; closing it');
        this.ctx.counters.protocolErrors++;
        this.fatal('08P01', 'airlock: lost track of the prepared statements the server holds; the connection is closed');
      },
    });
    this.relay = new UpstreamRelay(
      init.upstream.framer,
      this.client,
      init.upstream.status,
      this.protocol,
      (reason) => {
        this.log.warn({ reason }, 'malformed message from the postgres upstream');
        this.fatal('08006', `airlock: the connection to target "${this.target.name}" failed`);
      },
      (name, value) => this.onParameterStatus(name, value),
    );
    this.gate = new StatementGate({
      ctx: this.ctx,
      client: this.client,
      principal: this.principal,
      target: this.target.name,
      sessionId: this.id,
      source: this.source,
      logger: this.log,
      onHoldChange: (holding) => {
        if (holding) this.uncorkNow();
        this.updateClientFlow();
      },
      resolve: this.resolveNames,
    });
    this.refusals = new StatementRefusals({
      client: this.client,
      upstream: this.upstream,
      relay: this.relay,
      protocol: this.protocol,
      counters: this.ctx.counters,
      prepareEntry: this.prepareEntry,
      live: () => this.state === SessionState.Ready,
      uncork: () => this.uncorkNow(),
    });
    this.rowLimits = new RowLimits({
      relay: this.relay,
      upstream: this.upstream,
      client: this.client,
      protocol: this.protocol,
      gate: this.gate,
      counters: this.ctx.counters,
      log: this.log,
      prepareEntry: this.prepareEntry,
      resolve: this.resolveNames,
      resolvedByCatalog: this.ctx.catalogs.has(this.target.name),
      live: () => this.state === SessionState.Ready,
      uncork: () => this.uncorkNow(),
      refuse: (refusal, endsUnit) => this.refuse(refusal, endsUnit),
      fatal: (code, message) => this.fatal(code, message),
    });
    this.key = this.ctx.cancelKeys.issue(this);
    this.unregister = this.ctx.sessions.register({
      id: this.id,
      protocol: 'postgres',
      target: this.target.name,
      principal: this.principal,
      source: this.source,
      startedAt: this.startedAt,
      terminate: (reason) => this.terminate(reason),
    });
  }

  /** Airlock's BackendKeyData for this session. */
  get cancelKey(): { processId: number; secretKey: number } {
    return this.key;
  }

  /** Nothing is being decided and the upstream owes no answer. */
  get idle(): boolean {
    return !this.gate.deciding && this.relay.idle && this.batch.messages === 0;
  }

  get closed(): boolean {
    return this.state === SessionState.Closed;
  }

  /** Starts relaying; the client socket may already hold pipelined messages. */
  start(): void {
    const { client, upstream } = this;
    client.on('data', this.onClientData);
    client.on('end', this.onClientGone);
    client.on('close', this.onClientGone);
    client.on('error', this.onClientError);
    upstream.on('data', this.onUpstreamData);
    upstream.on('drain', this.onUpstreamDrain);
    upstream.on('close', this.onUpstreamClose);
    upstream.on('error', this.onUpstreamError);
    upstream.on('end', this.onUpstreamClose);
    upstream.resume();
    client.resume();
    const remaining = this.principal.expiresAt - Date.now();
    if (Number.isFinite(remaining) && remaining < 2 ** 31 - 1) {
      this.expiryTimer = setTimeout(() => this.terminate('airlock: your token expired; reconnect with a fresh one'), Math.max(0, remaining));
      this.expiryTimer.unref();
    }
    if (this.framer.pendingBytes > 0) this.pump();
  }

  // ---- client messages -------------------------------------------------------------------------

  /** Runs the client's messages in order; a message that must wait (a hold, a refusal) pauses the rest until it is done. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    this.pumpOn();
  }

  // Not an async function: the common case (every message decided at once) allocates no promise.
  private pumpOn(): void {
    let waiting: Promise<void> | void = undefined;
    try {
      waiting = this.runMessages();
    } catch (err) {
      this.pumpFailed(err);
    }
    if (waiting) {
      waiting.then(
        () => this.pumpOn(),
        (err: unknown) => {
          this.pumpFailed(err);
          this.pumpDone();
        },
      );
      return;
    }
    this.pumpDone();
  }

  private pumpDone(): void {
    this.pumping = false;
    this.updateClientFlow();
  }

  /** Dispatches framed messages until input runs out, the session stops, or one returns something to wait for. */
  private runMessages(): Promise<void> | void {
    const framer = this.framer;
    while (this.state === SessionState.Ready) {
      const result = framer.next();
      if (result === NEED_MORE) return;
      if (result === FRAME_ERROR) {
        this.ctx.counters.protocolErrors++;
        this.fatal(framer.error.includes('exceeds') ? '54000' : '08P01', `airlock: ${framer.error}`);
        return;
      }
      const pending = this.dispatch(framer.code, framer.buffer, framer.frameStart, framer.bodyStart, framer.frameEnd);
      if (pending) return pending;
      if (this.batch.bytesHeld > this.ctx.config.max_message_bytes) {
        this.ctx.counters.protocolErrors++;
        this.fatal('54000', `airlock: an extended-protocol batch exceeds ${this.ctx.config.max_message_bytes} bytes without a Sync or Flush`);
        return;
      }
    }
  }

  private pumpFailed(err: unknown): void {
    if (err instanceof BadRequestError) {
      this.ctx.counters.protocolErrors++;
      this.fatal('08P01', `airlock: ${err.message}`);
    } else {
      this.log.error({ err }, 'postgres session failed');
      this.fatal('XX000', 'airlock: internal error');
    }
  }

  private dispatch(code: number, buffer: Buffer, start: number, body: number, end: number): Promise<void> | void {
    if (this.refusals.discarding) {
      // After an error in the extended protocol everything up to Sync is ignored, as PostgreSQL does.
      if (code === ClientCode.Sync) return this.refusals.finishDiscard();
      if (code === ClientCode.Terminate) return this.terminateByClient();
      return;
    }
    const batch = this.batch;
    switch (code) {
      case ClientCode.Parse: {
        const { name, text } = readParse(buffer, body, end);
        if (text.length >= this.ctx.config.parse_offload_chars) {
          return this.ctx.parsePool.classify(text).then((classification) => this.onParse(name, { text, classification }, buffer, start, end));
        }
        this.onParse(name, this.prepareEntry(text), buffer, start, end);
        return;
      }
      case ClientCode.Bind: {
        const { portal, statement } = readBindNames(buffer, body, end);
        batch.record({ kind: Sent.Bind, portal, statement });
        batch.append(buffer, start, end);
        return;
      }
      case ClientCode.Execute:
        batch.record({ kind: Sent.Execute, portal: readCString(buffer, body, end) });
        batch.append(buffer, start, end);
        return;
      case ClientCode.Describe:
        readTargetKind(buffer, body, end);
        readCString(buffer, body + 1, end);
        batch.record({ kind: Sent.Describe });
        batch.append(buffer, start, end);
        return;
      case ClientCode.Close: {
        const kind = readTargetKind(buffer, body, end);
        batch.record({ kind: Sent.Close, statement: kind === 0x53, name: readCString(buffer, body + 1, end) });
        batch.append(buffer, start, end);
        return;
      }
      case ClientCode.Sync:
        batch.append(buffer, start, end);
        return this.endBatch(true);
      case ClientCode.Flush:
        batch.append(buffer, start, end);
        return this.endBatch(false);
      case ClientCode.Query:
        if (batch.messages > 0) return this.afterOpenBatch(code, buffer, start, body, end);
        return this.onQuery(buffer, start, body, end);
      case ClientCode.CopyData:
      case ClientCode.CopyDone:
      case ClientCode.CopyFail:
        if (batch.messages > 0) return this.afterOpenBatch(code, buffer, start, body, end);
        this.forward(buffer.subarray(start, end));
        return;
      case ClientCode.FunctionCall:
        if (batch.messages > 0) return this.afterOpenBatch(code, buffer, start, body, end);
        return this.onFunctionCall(buffer, start, body, end);
      case ClientCode.Terminate:
        return this.terminateByClient();
      default:
        this.ctx.counters.protocolErrors++;
        this.fatal('08P01', `airlock: invalid frontend message type ${code}`);
        return;
    }
  }

  private onParse(name: string, entry: StatementEntry, buffer: Buffer, start: number, end: number): void {
    const batch = this.batch;
    if (!batch.rejection) batch.rejection = unparseableRefusal(entry.classification);
    batch.record({ kind: Sent.Parse, name, entry });
    batch.append(buffer, start, end);
  }

  /** A message that does not belong to an extended batch arrived while one is open: gate the batch first. */
  private async afterOpenBatch(code: number, buffer: Buffer, start: number, body: number, end: number): Promise<void> {
    await this.endBatch(false);
    if (this.state !== SessionState.Ready) return;
    const pending = this.dispatch(code, buffer, start, body, end);
    if (pending) await pending;
  }

  // ---- simple query ------------------------------------------------------------------------------

  private onQuery(buffer: Buffer, start: number, body: number, end: number): Promise<void> | void {
    const text = readQueryText(buffer, body, end);
    if (isBlank(text)) {
      // Nothing to run: the upstream answers EmptyQueryResponse.
      this.forwardQuery(buffer.subarray(start, end), text, null);
      return;
    }
    const frame = buffer.subarray(start, end);
    if (text.length >= this.ctx.config.parse_offload_chars) {
      // Parsed on a worker thread: other sessions keep their latency while this one waits.
      return this.ctx.parsePool.classify(text).then((classification) => this.onQueryClassified(frame, text, classification));
    }
    return this.onQueryClassified(frame, text, this.classify(text));
  }

  private onQueryClassified(frame: Buffer, text: string, classification: Classification): Promise<void> | void {
    if (this.state !== SessionState.Ready) return;
    const refusal = unparseableRefusal(classification);
    if (refusal) return this.refuse(refusal, true);
    return this.gateQuery(frame, text, classification, false);
  }

  private gateQuery(frame: Buffer, text: string, classification: Classification, final: boolean): Promise<void> | void {
    const details = readStatementDetails(classification);
    const gated = expandExecute(text, classification, readStatementEffects(classification), final ? this.finalStatement : this.predictStatement, this.prepareEntry);
    if (gated === UNCERTAIN) return this.catchUp().then(() => this.gateQuery(frame, text, classification, true));
    const verdict = this.gate.check(gated, this.reasonFor(details));
    if (verdict instanceof Promise) return verdict.then((v) => this.afterQueryVerdict(frame, text, classification, details, v));
    return this.afterQueryVerdict(frame, text, classification, details, verdict);
  }

  private readonly finalStatement = (name: string) => {
    const found = this.protocol.predictStatement(name);
    return found === UNCERTAIN ? undefined : found;
  };

  private afterQueryVerdict(frame: Buffer, text: string, classification: Classification, details: StatementDetails, verdict: Verdict): Promise<void> | void {
    if (this.state !== SessionState.Ready) return;
    if (!verdict.allowed) return this.refuse(refusalOf(verdict), true);
    const done = (): void => {
      this.ctx.counters.statementsForwarded++;
      this.applyReason(details);
    };
    if (verdict.maxRows !== undefined) {
      const forward = (): void => this.forwardQuery(frame, text, classification);
      const limited = this.rowLimits.query({ frame, text, classification, reason: this.reasonFor(details), forward, done }, verdict.maxRows);
      if (limited) return limited;
    }
    this.forwardQuery(frame, text, classification);
    done();
  }

  private forwardQuery(frame: Buffer, text: string, classification: Classification | null): void {
    this.forward(frame);
    this.protocol.sentQuery(classification ? readStatementEffects(classification) : [], text);
    this.relay.expectReady();
  }

  // ---- extended protocol -------------------------------------------------------------------------

  private endBatch(sync: boolean): Promise<void> | void {
    const batch = this.batch;
    if (batch.rejection) return this.refuse(batch.rejection, sync);
    // Parse/Describe/Close only: nothing is planned or run, so nothing to decide.
    if (!batch.runs) return this.forwardBatch(sync, null);
    return this.gateBatch(sync, false);
  }

  private gateBatch(sync: boolean, final: boolean): Promise<void> | void {
    const entries = this.batch.resolve(this.protocol, final);
    if (entries === UNCERTAIN) return this.catchUp().then(() => this.gateBatch(sync, true));
    let gated: GatedCommand | typeof UNCERTAIN;
    let reason = this.reason;
    const lookup = final ? this.finalStatement : this.predictStatement;
    if (entries.length === 1) {
      const entry = entries[0] as StatementEntry;
      const details = readStatementDetails(entry.classification);
      reason = this.reasonFor(details);
      gated = expandExecute(entry.text, entry.classification, readStatementEffects(entry.classification), lookup, this.prepareEntry);
    } else {
      const parts: GatedCommand[] = [];
      for (const entry of entries) {
        const part = expandExecute(entry.text, entry.classification, readStatementEffects(entry.classification), lookup, this.prepareEntry);
        if (part === UNCERTAIN) return this.catchUp().then(() => this.gateBatch(sync, true));
        parts.push(part);
      }
      gated = { command: parts.map((part) => part.command).join(';\n'), classification: mergeClassifications(parts.map((part) => part.classification)) };
    }
    if (gated === UNCERTAIN) return this.catchUp().then(() => this.gateBatch(sync, true));
    const verdict = this.gate.check(gated, reason);
    if (verdict instanceof Promise) return verdict.then((v) => this.afterBatchVerdict(sync, entries, v));
    return this.afterBatchVerdict(sync, entries, verdict);
  }

  private afterBatchVerdict(sync: boolean, entries: readonly StatementEntry[], verdict: Verdict): Promise<void> | void {
    if (this.state !== SessionState.Ready) return;
    if (!verdict.allowed) return this.refuse(refusalOf(verdict), sync);
    if (verdict.maxRows !== undefined) {
      const batch = this.batch;
      const single = entries.length === 1 ? readStatementDetails((entries[0] as StatementEntry).classification) : null;
      const limited = this.rowLimits.batch(
        {
          sync,
          entries,
          sent: batch.sent,
          bytes: () => batch.bytes(),
          reset: () => batch.reset(),
          reason: single ? this.reasonFor(single) : this.reason,
          forward: () => this.forwardBatch(sync, entries),
          done: () => {
            this.ctx.counters.statementsForwarded++;
            if (single) this.applyReason(single);
          },
          merge: mergeClassifications,
        },
        verdict.maxRows,
      );
      if (limited) return limited;
    }
    this.forwardBatch(sync, entries);
  }

  private forwardBatch(sync: boolean, entries: readonly StatementEntry[] | null): void {
    const batch = this.batch;
    const bytes = batch.bytes();
    if (Array.isArray(bytes)) {
      this.corkUpstream();
      for (const part of bytes) this.upstream.write(part);
    } else {
      this.forward(bytes);
    }
    for (const message of batch.sent) this.protocol.sent(message);
    if (entries !== null) {
      for (const entry of entries) {
        const statements = readStatementEffects(entry.classification);
        if (statements.length > 0 && statements[0]?.unseenCode) this.protocol.ranUnseenCode();
        if (entries.length === 1) this.applyReason(readStatementDetails(entry.classification));
      }
    }
    batch.reset();
    if (sync) {
      this.protocol.sentSync();
      this.relay.expectReady();
      this.relay.unsynced = false;
    } else {
      this.relay.unsynced = true;
    }
    if (entries !== null) this.ctx.counters.statementsForwarded++;
  }

  /**
   * Waits until the server has answered everything sent, so that what it
   * holds under each name is known; then, if code Airlock did not read may
   * have changed prepared statements, reads them back from the server.
   */
  private async catchUp(): Promise<void> {
    await this.relay.caughtUp();
    if (this.state !== SessionState.Ready || !this.protocol.unverified) return;
    // A round of Airlock's own needs a synced connection in a usable transaction; otherwise the
    // names stay unverified and the gate treats them as unknown (high risk) this time.
    if (this.relay.unsynced || this.relay.status === TxStatus.Failed) return;
    this.uncorkNow();
    await reconcilePrepared(this.relay, this.upstream, this.protocol, this.classify, () => this.state === SessionState.Ready);
  }

  // ---- fast-path function call --------------------------------------------------------------------

  private onFunctionCall(buffer: Buffer, start: number, body: number, end: number): Promise<void> {
    const oid = end - body >= 4 ? buffer.readUInt32BE(body) : 0;
    // The fast-path call runs a function by OID with binary arguments: nothing to analyse, so critical.
    const classification: Classification = {
      risk: 'critical',
      facts: { kinds: ['function_call'], objects: [`function oid ${oid}`], flags: ['function_call', 'unanalysable'] },
    };
    return this.gateFunctionCall(buffer.subarray(start, end), { command: `-- FunctionCall (fast-path) of function oid ${oid}`, classification });
  }

  private async gateFunctionCall(frame: Buffer, gated: GatedCommand): Promise<void> {
    const verdict = await this.gate.check(gated, this.reason);
    if (this.state !== SessionState.Ready) return;
    if (!verdict.allowed) return this.refuse(refusalOf(verdict), true);
    this.forward(frame);
    this.protocol.sentFunctionCall();
    this.relay.expectReady();
  }

  private terminateByClient(): void {
    if (this.upstream.destroyed || this.upstream.writableEnded) return this.close();
    // PostgreSQL answers everything before a Terminate; so does the upstream, and Airlock relays it.
    this.state = SessionState.Terminating;
    this.uncorkNow();
    this.upstream.end(TERMINATE);
    setTimeout(() => this.close(), 5000).unref();
  }

  // ---- settings ----------------------------------------------------------------------------------

  private reasonFor(details: StatementDetails): string | undefined {
    const set = reasonSetting(details);
    if (set === undefined) return this.reason;
    return set ?? undefined;
  }

  /** `SET airlock.reason = '...'` in a forwarded statement. */
  private applyReason(details: StatementDetails): void {
    if (details.settings.length === 0) return;
    const set = reasonSetting(details);
    if (set !== undefined) this.reason = set ?? undefined;
  }

  /** The upstream reported a setting; one that changes how it reads statements ends the session. */
  private onParameterStatus(name: string, value: string): boolean {
    const problem = unpinnedParameter(name, value);
    if (problem === null) return true;
    this.log.error({ parameter: name, value }, 'the postgres upstream reported a setting Airlock cannot classify under; closing the session');
    this.ctx.counters.protocolErrors++;
    const classification: Classification = { risk: 'critical', facts: { kinds: ['parameter_status'], objects: [], flags: ['pinned_setting', `pinned_setting:${name.toLowerCase()}`, 'server_reported'] } };
    // Recorded through the gate, which denies it and writes the audit record; the session ends either way.
    this.gate.record({ command: `-- the server reported ${name} = ${value}`, classification }, this.reason);
    this.fatal('0A000', `airlock: the server now reports ${problem}, which changes how it reads statements; the session is closed`);
    return false;
  }

  /** Refuses in the protocol's own form (StatementRefusals); the batch being gathered is dropped. */
  private refuse(refusal: Refusal, endsUnit: boolean): Promise<void> {
    this.batch.reset();
    return this.refusals.refuse(refusal, endsUnit);
  }

  // ---- writing and flow -------------------------------------------------------------------------

  private forward(bytes: Buffer): void {
    // Only pipelined input (more messages already waiting) is worth coalescing; a lone statement goes out at once.
    if (this.framer.pendingBytes > 0) this.corkUpstream();
    if (!this.upstream.write(bytes)) {
      this.upstreamNeedsDrain = true;
      this.updateClientFlow();
    }
  }

  /** Writes of one turn of the event loop leave in one syscall. */
  private corkUpstream(): void {
    if (this.upstreamCorked) return;
    this.upstreamCorked = true;
    this.upstream.cork();
    setImmediate(this.uncorkUpstream);
  }

  private uncorkNow(): void {
    while (this.upstream.writableCorked > 0) this.upstream.uncork();
  }

  private updateClientFlow(): void {
    if (this.state !== SessionState.Ready) return;
    const pause = this.upstreamNeedsDrain || (this.framer.pendingBytes > MAX_BACKLOG_BYTES && (this.pumping || this.gate.holding));
    if (pause && !this.client.isPaused()) this.client.pause();
    else if (!pause && this.client.isPaused()) this.client.resume();
  }

  // ---- cancel, terminate, close -------------------------------------------------------------------

  /** A CancelRequest with this session's key: withdraw what is being decided, else cancel upstream. */
  cancel(): void {
    if (this.state !== SessionState.Ready) return;
    this.ctx.counters.cancelRequests++;
    if (this.gate.cancel()) return;
    if (this.relay.outstanding > 0 || this.relay.unsynced) {
      sendUpstreamCancel(this.target, this.upstreamKey.processId, this.upstreamKey.secretKey, this.log);
    }
  }

  /** Ends the session with FATAL 57P01 and the reason (revocation, shutdown, token expiry). */
  terminate(reason: string): void {
    this.endReason = `the session was ended: ${reason.replace(/^airlock: /, '')}`;
    this.fatal('57P01', reason);
  }

  private fatal(code: string, message: string): void {
    if (this.state !== SessionState.Ready) return;
    this.relay.stop();
    if (!this.client.destroyed && this.client.writable) {
      this.uncorkNow();
      this.client.write(errorResponse({ severity: 'FATAL', code, message }));
    }
    this.close();
  }

  close(): void {
    if (this.state === SessionState.Closed) return;
    this.state = SessionState.Closed;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.gate.close(this.endReason);
    this.unregister();
    this.ctx.cancelKeys.release(this.key.processId);
    this.relay.release();
    const { client, upstream } = this;
    client.off('data', this.onClientData);
    upstream.off('data', this.onUpstreamData);
    if (!upstream.destroyed && !upstream.writableEnded) {
      this.uncorkNow();
      upstream.end(TERMINATE);
      setTimeout(() => upstream.destroy(), 2000).unref();
    }
    if (!client.destroyed) {
      client.end();
      setTimeout(() => client.destroy(), 2000).unref();
    }
    this.log.debug('postgres session closed');
  }
}

export { CANCEL_MESSAGE };
