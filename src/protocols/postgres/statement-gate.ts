import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { type AirlockError, CancelledError, ForbiddenError, InternalError } from '../../errors.js';
import { type Action, type Classification, createAction } from '../../model/action.js';
import type { GateCheckOptions } from '../../gate/gate.js';
import type { HoldNotice } from '../../gate/hold-notice.js';
import type { Verdict } from '../../gate/verdict.js';
import { denyVerdict } from '../../gate/verdicts.js';
import type { Principal } from '../../model/principal.js';
import { HoldNotifier } from './hold-notifier.js';
import type { ProxyContext } from './proxy-context.js';

export const CANCEL_MESSAGE = 'canceling statement due to user request';

/** What a refused statement tells the client. */
export interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
}

export interface GatedCommand {
  readonly command: string;
  readonly classification: Classification;
}

export interface StatementGateInit {
  readonly ctx: ProxyContext;
  readonly client: Socket;
  readonly principal: Principal;
  readonly target: string;
  readonly sessionId: string;
  readonly source: string;
  readonly logger: Logger;
  /** A hold started or ended: the session adjusts flow control (and uncorks, so the notice leaves). */
  readonly onHoldChange: (holding: boolean) => void;
  /** What the command's names resolve to in the target's catalog, added before the Gate decides. */
  readonly resolve?: (classification: Classification) => Classification;
}

/**
 * The session's bridge to the Gate: turns a command into an Action, takes a
 * verdict given at once from memory, else waits for it while telling the
 * client that the statement is held. A client cancel withdraws what is being
 * decided and wins over a verdict that crossed it. The Gate decides; this
 * only asks and waits.
 */
export class StatementGate {
  private controller = new AbortController();
  private checkOptions: GateCheckOptions;
  private inFlight: Action | null = null;
  private cancelledByClient = false;
  private notifier: HoldNotifier | null = null;
  private closed = false;
  private readonly onHold = (notice: HoldNotice): void => this.startHold(notice);

  constructor(private readonly init: StatementGateInit) {
    this.checkOptions = { signal: this.controller.signal, onHold: this.onHold };
  }

  /** Something is being decided. */
  get deciding(): boolean {
    return this.inFlight !== null;
  }

  get holding(): boolean {
    return this.notifier !== null;
  }

  /** The verdict: at once when memory decides it, else after the wait (hold, store, signal lookup). */
  check(gated: GatedCommand, reason: string | undefined): Verdict | Promise<Verdict> {
    const { ctx, principal, target, sessionId, source, resolve } = this.init;
    const classification = resolve ? resolve(gated.classification) : gated.classification;
    const action = createAction({ principal, protocol: 'postgres', target, sessionId, source, command: gated.command, classification, reason });
    // Nothing can interleave with a verdict given at once: no hold, no cancel, no notices.
    const now = ctx.gate.checkNow?.(action);
    if (now !== undefined) return now;
    return this.waitForVerdict(action);
  }

  /**
   * Puts something the session saw (not a client's command) on the record
   * through the gate, which decides and audits it; nothing waits for it and
   * a closing session does not withdraw it.
   */
  record(gated: GatedCommand, reason: string | undefined): void {
    const { ctx, principal, target, sessionId, source, logger, resolve } = this.init;
    const classification = resolve ? resolve(gated.classification) : gated.classification;
    const action = createAction({ principal, protocol: 'postgres', target, sessionId, source, command: gated.command, classification, reason });
    if (ctx.gate.checkNow?.(action) !== undefined) return;
    ctx.gate.check(action).catch((err: unknown) => logger.error({ err }, 'gate check of a session event failed'));
  }

  private async waitForVerdict(action: Action): Promise<Verdict> {
    this.inFlight = action;
    this.cancelledByClient = false;
    let verdict: Verdict;
    try {
      verdict = await this.init.ctx.gate.check(action, this.checkOptions);
    } catch (err) {
      // The gate never rejects by contract; if it does, fail closed.
      this.init.logger.error({ err, actionId: action.id }, 'gate check failed; refusing the statement');
      verdict = denyVerdict({ risk: 'critical', requirement: 'deny', path: 'error', rules: [], reason: 'internal error', error: new InternalError('internal error') });
    } finally {
      this.inFlight = null;
      if (this.notifier) {
        this.notifier.stop();
        this.notifier = null;
        this.init.onHoldChange(false);
      }
    }
    if (this.controller.signal.aborted) {
      this.controller = new AbortController();
      this.checkOptions = { signal: this.controller.signal, onHold: this.onHold };
    }
    if (this.cancelledByClient) {
      // A client cancel wins over a verdict that crossed it: nothing held is forwarded after a cancel.
      this.cancelledByClient = false;
      const { risk, requirement, rules, decidedBy } = verdict;
      return denyVerdict({ risk, requirement, rules, decidedBy, path: 'cancel', reason: CANCEL_MESSAGE, error: new CancelledError(CANCEL_MESSAGE), ...(verdict.approvalId ? { approvalId: verdict.approvalId } : {}) });
    }
    return verdict;
  }

  private startHold(notice: HoldNotice): void {
    if (this.closed || !this.inFlight) return;
    this.init.ctx.counters.statementsHeld++;
    this.notifier?.stop();
    const notifier = new HoldNotifier(this.init.client, notice, this.init.ctx.config.notice_interval);
    this.notifier = notifier;
    this.init.onHoldChange(true);
    notifier.start(this.inFlight.command, this.init.ctx.publicUrl);
    this.init.logger.info({ approvalId: notice.approvalId, actionId: this.inFlight.id }, 'postgres statement held');
  }

  /** The client cancelled: withdraw what is being decided. False when nothing was. */
  cancel(): boolean {
    if (!this.inFlight) return false;
    this.cancelledByClient = true;
    this.controller.abort(new CancelledError(CANCEL_MESSAGE));
    return true;
  }

  /** The session ended: withdraw what is held, saying why (a revocation, a shutdown, the client leaving). */
  close(reason = 'the client disconnected'): void {
    this.closed = true;
    if (this.inFlight) this.controller.abort(new CancelledError(reason));
    this.notifier?.stop();
    this.notifier = null;
  }
}

/** How a denial reads in PostgreSQL's own form. */
export function refusalOf(verdict: Verdict): Refusal {
  const error: AirlockError = verdict.allowed ? new ForbiddenError(verdict.reason) : verdict.error;
  const message = error.sqlstate === '57014' && verdict.path === 'cancel' ? CANCEL_MESSAGE : verdict.reason || (error.clientSafe ? error.message : 'denied');
  const parts: string[] = [];
  if (verdict.approvalId) parts.push(`approval ${verdict.approvalId}`);
  if (verdict.decidedBy.length > 0) parts.push(`decided by ${verdict.decidedBy.join(', ')}`);
  if (verdict.rules.length > 0) parts.push(`rules: ${verdict.rules.join(', ')}`);
  const refusal: Refusal = { code: error.sqlstate, message: message === CANCEL_MESSAGE ? message : `airlock: ${message}` };
  return parts.length > 0 ? { ...refusal, detail: parts.join('; ') } : refusal;
}
