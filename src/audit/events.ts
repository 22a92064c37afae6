import type { Protocol } from '../model/action.js';

/** Every event type the system emits; audit writes all of them, risk signals read some. */
export const EVENT_TYPES = [
  'auth.success',
  'auth.failure',
  'verdict',
  'approval.requested',
  'approval.vote',
  'approval.resolved',
  'approval.notify_failed',
  'mfa.enrolled',
  'mfa.reset',
  'mfa.success',
  'mfa.failure',
  'mfa.replay',
  'mfa.rate_limited',
  'stepup.granted',
  'stepup.grant_rejected',
  'bypass.used',
  'bypass.refused',
  'risk.raised',
  'source.blocked',
  'revocation.added',
  'revocation.lifted',
  'session.terminated',
  /** A shell session's recording is closed: `data` names the file, its size and SHA-256. */
  'session.recorded',
  'config.reloaded',
  'config.reload_failed',
  'slack.rejected',
  'webhook.rejected',
  /** The approval store failed; `data.operation` names the call. */
  'store.error',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** `auth.failure` reason of a connection refused by an active source block: never counted as a failed login. */
export const SOURCE_REFUSED = 'source_blocked';

export interface AirlockEvent {
  readonly type: EventType;
  readonly at: number;
  readonly subject?: string;
  readonly deviceId?: string;
  readonly source?: string;
  readonly protocol?: Protocol;
  readonly target?: string;
  readonly sessionId?: string;
  readonly approvalId?: string;
  /** Rule ids that caused the event. */
  readonly rules?: readonly string[];
  readonly reason?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export type EventHandler = (event: AirlockEvent) => void;

/** One internal bus: audit, metrics and risk signals subscribe to it. */
export class EventBus {
  private handlers: EventHandler[] = [];
  private onHandlerError: (err: unknown, event: AirlockEvent) => void;

  constructor(onHandlerError: (err: unknown, event: AirlockEvent) => void = () => {}) {
    this.onHandlerError = onHandlerError;
  }

  on(handler: EventHandler): () => void {
    this.handlers = [...this.handlers, handler];
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  emit(event: AirlockEvent): void {
    // A failing subscriber must never break the decision path.
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (err) {
        this.onHandlerError(err, event);
      }
    }
  }
}
