import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { PostgresTargetConfig } from '../../config/schema.js';
import { AirlockError, BadRequestError, CancelledError, ForbiddenError } from '../../errors.js';
import { type Action, type Classification, createAction } from '../../gate/action.js';
import type { GateCheckOptions } from '../../gate/gate.js';
import type { HoldNotice } from '../../gate/hold-notice.js';
import type { Verdict } from '../../gate/verdict.js';
import type { Principal } from '../../identity/principal.js';
import type { Cancellable } from './cancel-keys.js';
import { abortRound } from './client-messages.js';
import { ExtendedBatch } from './extended-batch.js';
import { readBindNames, readCString, readParse, readQueryText, readTargetKind } from './extended-messages.js';
import { HoldNotifier } from './hold-notifier.js';
import { mergeClassifications } from './merge-classifications.js';
import { ClientCode, TxStatus } from './message-codes.js';
import { FRAME_ERROR, NEED_MORE, type MessageFramer } from './message-framer.js';
import type { ProxyContext } from './proxy-context.js';
import { errorResponse, readyForQuery } from './server-messages.js';
import { type GatedCommand, expandExecute } from './statement-expansion.js';
import { type StatementDetails, hasFlag, readStatementDetails, reasonSetting } from './statement-details.js';
import { type StatementEntry, StatementRegistry } from './statement-registry.js';
import type { UpstreamLink } from './upstream-connection.js';
import { sendUpstreamCancel } from './upstream-connection.js';
import { UpstreamRelay } from './upstream-relay.js';

/** Bytes a client may have waiting while a statement is being decided; beyond, its socket is paused. */
const MAX_BACKLOG_BYTES = 1024 * 1024;
const TERMINATE = Buffer.from([ClientCode.Terminate, 0, 0, 0, 4]);
const CANCEL_MESSAGE = 'canceling statement due to user request';
const UNPARSEABLE_MESSAGE = 'airlock: the statement could not be parsed, so it was not sent';

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

/** What a refused statement tells the client. */
interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
}

/**
 * The ready phase of one client connection: frames client messages, gates
 * every statement (simple Query, an extended batch at its Sync/Flush, a
 * FunctionCall), forwards what is allowed exactly once and in order, and
 * refuses the rest so that client and upstream agree on the transaction state.
 * While a statement is being decided nothing after it is read or forwarded.
 */
export class ProxySession implements Cancellable {
  readonly startedAt = Date.now();
  private state: SessionState = SessionState.Ready;
  private readonly ctx: ProxyContext;
  private readonly client: Socket;
  private readonly upstream: Socket;
  private readonly framer: MessageFramer;
  private readonly relay: UpstreamRelay;
  private readonly registry = new StatementRegistry();
  private readonly batch: ExtendedBatch;
  private readonly log: Logger;
  private readonly key: { processId: number; secretKey: number };
  private readonly unregister: () => void;
  private readonly upstreamKey: { processId: number; secretKey: number };
  private reason: string | undefined;
  private pumping = false;
  private discardUntilSync: Refusal | null = null;
  private controller = new AbortController();
  private checkOptions: GateCheckOptions;
  private inFlight: Action | null = null;
  private cancelledByClient = false;
  private notifier: HoldNotifier | null = null;
  private upstreamCorked = false;
  private upstreamNeedsDrain = false;
  private expiryTimer: NodeJS.Timeout | null = null;

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
  private readonly onHold = (notice: HoldNotice): void => this.startHold(notice);
  private readonly uncorkUpstream = (): void => {
    this.upstreamCorked = false;
    this.upstream.uncork();
  };
  private readonly prepareEntry = (text: string): StatementEntry => ({ text, classification: this.ctx.classifier.classify(text) });

  readonly id: string;
  readonly principal: Principal;
  readonly target: PostgresTargetConfig;
  readonly source: string;

  constructor(init: SessionInit) {
    this.ctx = init.ctx;
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
    this.batch = new ExtendedBatch(this.registry);
    this.relay = new UpstreamRelay(init.upstream.framer, this.client, init.upstream.status, (reason) => {
      this.log.warn({ reason }, 'malformed message from the postgres upstream');
      this.fatal('08006', `airlock: the connection to target "${this.target.name}" failed`);
    });
    this.checkOptions = { signal: this.controller.signal, onHold: this.onHold };
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
    return this.inFlight === null && this.relay.idle && this.batch.messages === 0;
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
    if (this.discardUntilSync) {
      // After an error in the extended protocol everything up to Sync is ignored, as PostgreSQL does.
      if (code === ClientCode.Sync) return this.finishDiscard();
      if (code === ClientCode.Terminate) return this.terminateByClient();
      return;
    }
    switch (code) {
      case ClientCode.Parse: {
        const { name, text } = readParse(buffer, body, end);
        const entry = this.prepareEntry(text);
        if (hasFlag(entry.classification, 'unparseable') && !this.batch.rejection) {
          this.batch.rejection = { code: '42601', message: UNPARSEABLE_MESSAGE };
        }
        this.batch.parse(name, entry);
        this.batch.append(buffer, start, end);
        return;
      }
      case ClientCode.Bind: {
        const { portal, statement } = readBindNames(buffer, body, end);
        this.batch.bind(portal, statement);
        this.batch.append(buffer, start, end);
        return;
      }
      case ClientCode.Execute:
        this.batch.execute(readCString(buffer, body, end));
        this.batch.append(buffer, start, end);
        return;
      case ClientCode.Describe:
        readTargetKind(buffer, body, end);
        this.batch.append(buffer, start, end);
        return;
      case ClientCode.Close: {
        const kind = readTargetKind(buffer, body, end);
        const name = readCString(buffer, body + 1, end);
        if (kind === 0x53) this.batch.closeStatement(name);
        else this.batch.closePortal(name);
        this.batch.append(buffer, start, end);
        return;
      }
      case ClientCode.Sync:
        this.batch.append(buffer, start, end);
        return this.endBatch(true);
      case ClientCode.Flush:
        this.batch.append(buffer, start, end);
        return this.endBatch(false);
      case ClientCode.Query:
        if (this.batch.messages > 0) return this.afterOpenBatch(code, buffer, start, body, end);
        return this.onQuery(buffer, start, body, end);
      case ClientCode.CopyData:
      case ClientCode.CopyDone:
      case ClientCode.CopyFail:
        if (this.batch.messages > 0) return this.afterOpenBatch(code, buffer, start, body, end);
        this.forward(buffer.subarray(start, end));
        return;
      case ClientCode.FunctionCall:
        if (this.batch.messages > 0) return this.afterOpenBatch(code, buffer, start, body, end);
        return this.onFunctionCall(buffer, start, body, end);
      case ClientCode.Terminate:
        return this.terminateByClient();
      default:
        this.ctx.counters.protocolErrors++;
        this.fatal('08P01', `airlock: invalid frontend message type ${code}`);
        return;
    }
  }

  /** A message that does not belong to an extended batch arrived while one is open: gate the batch first. */
  private async afterOpenBatch(code: number, buffer: Buffer, start: number, body: number, end: number): Promise<void> {
    await this.endBatch(false);
    if (this.state !== SessionState.Ready) return;
    const pending = this.dispatch(code, buffer, start, body, end);
    if (pending) await pending;
  }

  private onQuery(buffer: Buffer, start: number, body: number, end: number): Promise<void> | void {
    const text = readQueryText(buffer, body, end);
    if (isBlank(text)) {
      // Nothing to run: the upstream answers EmptyQueryResponse.
      this.forward(buffer.subarray(start, end));
      this.relay.expectReady();
      return;
    }
    const classification = this.ctx.classifier.classify(text);
    if (hasFlag(classification, 'unparseable')) return this.refuse({ code: '42601', message: UNPARSEABLE_MESSAGE }, true);
    return this.gateQuery(buffer.subarray(start, end), text, classification);
  }

  private gateQuery(frame: Buffer, text: string, classification: Classification): Promise<void> | void {
    const details = readStatementDetails(classification);
    const gated = expandExecute(text, classification, details, this.registry, this.prepareEntry);
    const verdict = this.check(gated, this.reasonFor(details));
    if (verdict instanceof Promise) return verdict.then((v) => this.afterQueryVerdict(frame, details, v));
    return this.afterQueryVerdict(frame, details, verdict);
  }

  private afterQueryVerdict(frame: Buffer, details: StatementDetails, verdict: Verdict): Promise<void> | void {
    if (this.state !== SessionState.Ready) return;
    if (!verdict.allowed) return this.refuse(this.refusalOf(verdict), true);
    this.forward(frame);
    this.relay.expectReady();
    this.ctx.counters.statementsForwarded++;
    this.registry.forgetUnnamed();
    this.applyDetails(details);
  }

  private endBatch(sync: boolean): Promise<void> | void {
    const batch = this.batch;
    if (batch.rejection) return this.refuse(batch.rejection, sync);
    const executed = batch.executed;
    if (executed.length === 0) {
      // Parse/Describe/Close only: nothing runs, so nothing to decide.
      this.forwardBatch(sync);
      return;
    }
    return this.gateBatch(sync);
  }

  private gateBatch(sync: boolean): Promise<void> | void {
    const executed = this.batch.executed;
    let gated: GatedCommand;
    let reasonDetails: StatementDetails | null = null;
    if (executed.length === 1) {
      const entry = executed[0] as StatementEntry;
      const details = readStatementDetails(entry.classification);
      reasonDetails = details;
      gated = expandExecute(entry.text, entry.classification, details, this.registry, this.prepareEntry);
    } else {
      const parts = executed.map((entry) => expandExecute(entry.text, entry.classification, readStatementDetails(entry.classification), this.registry, this.prepareEntry));
      gated = {
        command: parts.map((part) => part.command).join(';\n'),
        classification: mergeClassifications(parts.map((part) => part.classification)),
      };
    }
    const verdict = this.check(gated, reasonDetails ? this.reasonFor(reasonDetails) : this.reason);
    if (verdict instanceof Promise) return verdict.then((v) => this.afterBatchVerdict(sync, v));
    return this.afterBatchVerdict(sync, verdict);
  }

  private afterBatchVerdict(sync: boolean, verdict: Verdict): Promise<void> | void {
    if (this.state !== SessionState.Ready) return;
    if (!verdict.allowed) return this.refuse(this.refusalOf(verdict), sync);
    const entries = this.batch.executed.slice();
    this.forwardBatch(sync);
    for (const entry of entries) this.applyDetails(readStatementDetails(entry.classification));
  }

  private forwardBatch(sync: boolean): void {
    const batch = this.batch;
    const bytes = batch.bytes();
    if (Array.isArray(bytes)) {
      this.corkUpstream();
      for (const part of bytes) this.upstream.write(part);
    } else {
      this.forward(bytes);
    }
    batch.commit();
    batch.reset();
    if (sync) {
      this.relay.expectReady();
      this.relay.unsynced = false;
    } else {
      this.relay.unsynced = true;
    }
    this.ctx.counters.statementsForwarded++;
  }

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
    const verdict = await this.check(gated, this.reason);
    if (this.state !== SessionState.Ready) return;
    if (!verdict.allowed) return this.refuse(this.refusalOf(verdict), true);
    this.forward(frame);
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

  // ---- deciding ---------------------------------------------------------------------------------

  /** The gate's verdict: at once when memory decides it, else after the wait (hold, store, signal lookup). */
  private check(gated: GatedCommand, reason: string | undefined): Verdict | Promise<Verdict> {
    const action = createAction({
      principal: this.principal,
      protocol: 'postgres',
      target: this.target.name,
      sessionId: this.id,
      source: this.source,
      command: gated.command,
      classification: gated.classification,
      reason,
    });
    // Nothing can interleave with a verdict given at once: no hold, no cancel, no notices.
    const now = this.ctx.gate.checkNow?.(action);
    if (now !== undefined) return now;
    return this.waitForVerdict(action);
  }

  private async waitForVerdict(action: Action): Promise<Verdict> {
    this.inFlight = action;
    this.cancelledByClient = false;
    let verdict: Verdict;
    try {
      verdict = await this.ctx.gate.check(action, this.checkOptions);
    } catch (err) {
      // The gate never rejects by contract; if it does, fail closed.
      this.log.error({ err, actionId: action.id }, 'gate check failed; refusing the statement');
      verdict = { allowed: false, risk: 'critical', requirement: 'deny', path: 'error', rules: [], reason: 'internal error', decidedBy: [] };
    } finally {
      this.inFlight = null;
      if (this.notifier) {
        this.notifier.stop();
        this.notifier = null;
        this.updateClientFlow();
      }
    }
    if (this.controller.signal.aborted) {
      this.controller = new AbortController();
      this.checkOptions = { signal: this.controller.signal, onHold: this.onHold };
    }
    if (this.cancelledByClient) {
      // A client cancel wins over a verdict that crossed it: nothing held is forwarded after a cancel.
      this.cancelledByClient = false;
      return { ...verdict, allowed: false, path: 'cancel', reason: CANCEL_MESSAGE, error: new CancelledError(CANCEL_MESSAGE) };
    }
    return verdict;
  }

  private startHold(notice: HoldNotice): void {
    if (this.state !== SessionState.Ready || !this.inFlight) return;
    this.ctx.counters.statementsHeld++;
    this.uncorkNow();
    this.notifier?.stop();
    this.notifier = new HoldNotifier(this.client, notice, this.ctx.config.notice_interval);
    this.notifier.start(this.inFlight.command, this.ctx.publicUrl);
    this.log.info({ approvalId: notice.approvalId, actionId: this.inFlight.id }, 'postgres statement held');
    this.updateClientFlow();
  }

  private refusalOf(verdict: Verdict): Refusal {
    const error: AirlockError = verdict.error ?? new ForbiddenError(verdict.reason);
    const message = error.sqlstate === '57014' && verdict.path === 'cancel' ? CANCEL_MESSAGE : verdict.reason || (error.clientSafe ? error.message : 'denied');
    const parts: string[] = [];
    if (verdict.approvalId) parts.push(`approval ${verdict.approvalId}`);
    if (verdict.decidedBy.length > 0) parts.push(`decided by ${verdict.decidedBy.join(', ')}`);
    if (verdict.rules.length > 0) parts.push(`rules: ${verdict.rules.join(', ')}`);
    const refusal: Refusal = { code: error.sqlstate, message: message === CANCEL_MESSAGE ? message : `airlock: ${message}` };
    return parts.length > 0 ? { ...refusal, detail: parts.join('; ') } : refusal;
  }

  private reasonFor(details: StatementDetails): string | undefined {
    const set = reasonSetting(details);
    if (set === undefined) return this.reason;
    return set ?? undefined;
  }

  /** A forwarded statement's SQL-level effects on what Airlock tracks. */
  private applyDetails(details: StatementDetails): void {
    if (details.settings.length === 0 && details.prepare.length === 0 && details.deallocate.length === 0) return;
    for (const name of details.deallocate) this.registry.deallocate(name);
    for (const { name, text } of details.prepare) this.registry.statements.set(name, this.prepareEntry(text));
    const set = reasonSetting(details);
    if (set !== undefined) this.reason = set ?? undefined;
  }

  // ---- refusing ---------------------------------------------------------------------------------

  /**
   * Answers a refused statement in the protocol's own form. `endsUnit`: a
   * Query, FunctionCall or Sync-terminated batch gets ErrorResponse +
   * ReadyForQuery; a Flush-terminated batch gets ErrorResponse, and the rest
   * up to its Sync is skipped. Inside a transaction block the upstream is
   * made to fail too, so a later COMMIT rolls back on both sides.
   */
  private async refuse(refusal: Refusal, endsUnit: boolean): Promise<void> {
    this.ctx.counters.statementsRejected++;
    this.batch.reset();
    // Synthetic answers must follow the upstream's answers to everything forwarded before.
    await this.relay.caughtUp();
    if (this.state !== SessionState.Ready) return;
    const error = errorResponse({ severity: 'ERROR', code: refusal.code, message: refusal.message, detail: refusal.detail });
    if (!endsUnit) {
      this.client.write(error);
      this.discardUntilSync = refusal;
      return;
    }
    await this.settleRefusal(refusal, error);
  }

  private finishDiscard(): Promise<void> {
    const refusal = this.discardUntilSync as Refusal;
    this.discardUntilSync = null;
    return this.settleRefusal(refusal, null);
  }

  private async settleRefusal(refusal: Refusal, error: Buffer | null): Promise<void> {
    let status = this.relay.status;
    if (status === TxStatus.InBlock || this.relay.unsynced) {
      this.uncorkNow();
      status = await this.relay.abort(this.upstream, abortRound(refusal.code, refusal.message));
      this.registry.forgetUnnamed();
      if (this.state !== SessionState.Ready) return;
    }
    const ready = readyForQuery(status);
    this.client.write(error ? Buffer.concat([error, ready]) : ready);
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
    const pause = this.upstreamNeedsDrain || (this.framer.pendingBytes > MAX_BACKLOG_BYTES && (this.pumping || this.notifier !== null));
    if (pause && !this.client.isPaused()) this.client.pause();
    else if (!pause && this.client.isPaused()) this.client.resume();
  }

  // ---- cancel, terminate, close -------------------------------------------------------------------

  /** A CancelRequest with this session's key: withdraw what is being decided, else cancel upstream. */
  cancel(): void {
    if (this.state !== SessionState.Ready) return;
    this.ctx.counters.cancelRequests++;
    if (this.inFlight) {
      this.cancelledByClient = true;
      this.controller.abort(new CancelledError(CANCEL_MESSAGE));
      return;
    }
    if (this.relay.outstanding > 0 || this.relay.unsynced) {
      sendUpstreamCancel(this.target, this.upstreamKey.processId, this.upstreamKey.secretKey, this.log);
    }
  }

  /** Ends the session with FATAL 57P01 and the reason (revocation, shutdown, token expiry). */
  terminate(reason: string): void {
    this.fatal('57P01', reason);
  }

  private fatal(code: string, message: string): void {
    if (this.state !== SessionState.Ready) return;
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
    if (this.inFlight) this.controller.abort(new CancelledError('the client disconnected'));
    this.notifier?.stop();
    this.notifier = null;
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
