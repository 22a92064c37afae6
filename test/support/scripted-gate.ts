import { CancelledError, ForbiddenError, TokenInvalidError, type AirlockError } from '../../src/errors.js';
import type { Action } from '../../src/model/action.js';
import type { AuthenticationRequest, Gate, GateCheckOptions } from '../../src/gate/gate.js';
import type { HoldNotice } from '../../src/gate/hold-notice.js';
import type { Verdict } from '../../src/gate/verdict.js';
import { allowVerdict, denyVerdict } from '../../src/gate/verdicts.js';
import type { Principal } from '../../src/model/principal.js';

export interface DecideContext {
  /** Tells the adapter the action is held (calls onHold once). */
  hold(notice?: Partial<HoldNotice>): void;
  /** Aborted when the adapter withdraws the action. */
  readonly signal: AbortSignal;
}

export type Decide = (action: Action, context: DecideContext) => Promise<Verdict>;

export function allowed(reason = 'allowed by test'): Verdict {
  return allowVerdict({ risk: 'low', requirement: 'allow', path: 'policy', rules: [], reason });
}

function refused(path: Verdict['path'], reason: string, error: AirlockError, approvalId?: string): Verdict {
  return denyVerdict({
    risk: 'high',
    requirement: 'approval',
    path,
    rules: ['test-rule'],
    reason,
    decidedBy: path === 'approval' ? ['approver@example.com'] : [],
    error,
    ...(approvalId ? { approvalId } : {}),
  });
}

export function denied(reason = 'denied by approver@example.com', approvalId?: string): Verdict {
  return refused('approval', reason, new ForbiddenError(reason), approvalId);
}

export function timedOut(reason = 'approval timed out'): Verdict {
  return refused('timeout', reason, new CancelledError(reason));
}

/** A statement held by HeldDecisions, waiting for the test to decide it. */
export interface PendingDecision {
  readonly action: Action;
  readonly signal: AbortSignal;
  approve(): void;
  deny(reason?: string): void;
  expire(): void;
}

/**
 * A `decide` that holds every risky action until the test approves, denies
 * or expires it. `next()` waits for the next held action.
 */
export class HeldDecisions {
  readonly pending: PendingDecision[] = [];
  private waiters: ((decision: PendingDecision) => void)[] = [];
  private counter = 0;

  readonly decide: Decide = (action, context) => {
    const approvalId = `apr_${++this.counter}`;
    context.hold({ approvalId });
    return new Promise<Verdict>((resolve) => {
      const decision: PendingDecision = {
        action,
        signal: context.signal,
        approve: () => resolve({ ...allowed('approved by approver@example.com'), path: 'approval', approvalId, decidedBy: ['approver@example.com'] }),
        deny: (reason) => resolve(denied(reason, approvalId)),
        expire: () => resolve(timedOut()),
      };
      const waiter = this.waiters.shift();
      if (waiter) waiter(decision);
      else this.pending.push(decision);
    });
  };

  next(timeoutMs = 10_000): Promise<PendingDecision> {
    const ready = this.pending.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no held action within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((decision) => {
        clearTimeout(timer);
        resolve(decision);
      });
    });
  }
}

export interface ScriptedGateOptions {
  /** Accepted tokens and the principal each stands for. */
  readonly tokens: Readonly<Record<string, Principal>>;
  /** Decides high and critical actions; default: allow. */
  readonly decide?: Decide;
}

/**
 * A real Gate for protocol tests: authenticates from a token map, allows
 * low/medium risk at once, and hands high/critical actions to `decide`.
 * Like the real gate, it never rejects, and an aborted signal yields a cancel
 * verdict. Every check and authentication is recorded.
 */
export class ScriptedGate implements Gate {
  readonly checks: Action[] = [];
  readonly authentications: AuthenticationRequest[] = [];
  readonly withdrawn: Action[] = [];
  decide: Decide;

  constructor(private readonly options: ScriptedGateOptions) {
    this.decide = options.decide ?? (async () => allowed());
  }

  async authenticate(request: AuthenticationRequest): Promise<Principal> {
    this.authentications.push(request);
    const principal = this.options.tokens[request.token];
    if (!principal) throw new TokenInvalidError('bad_signature', 'the token was rejected');
    return principal;
  }

  async check(action: Action, options: GateCheckOptions = {}): Promise<Verdict> {
    this.checks.push(action);
    const risk = action.classification.risk;
    if (risk === 'low' || risk === 'medium') return allowed();
    const signal = options.signal ?? new AbortController().signal;
    let held = false;
    const context: DecideContext = {
      signal,
      hold: (notice = {}) => {
        if (held) return;
        held = true;
        options.onHold?.({
          approvalId: 'apr_test',
          kind: 'approval',
          message: `held because test rule matched ${action.classification.facts.kinds.join(',')}`,
          command: `airlock approve ${notice.approvalId ?? 'apr_test'}`,
          url: `http://airlock.test/approvals/${notice.approvalId ?? 'apr_test'}`,
          expiresAt: Date.now() + 60_000,
          ...notice,
        });
      },
    };
    if (signal.aborted) return this.cancelled(action);
    return new Promise<Verdict>((resolve) => {
      const onAbort = () => resolve(this.cancelled(action));
      signal.addEventListener('abort', onAbort, { once: true });
      this.decide(action, context).then(
        (verdict) => {
          signal.removeEventListener('abort', onAbort);
          resolve(verdict);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          resolve(refused('error', 'internal error', new ForbiddenError(String(err))));
        },
      );
    });
  }

  private cancelled(action: Action): Verdict {
    this.withdrawn.push(action);
    return refused('cancel', 'canceling statement due to user request', new CancelledError('canceling statement due to user request'));
  }
}
