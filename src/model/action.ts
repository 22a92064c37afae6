import { hash as oneShotHash, randomUUID } from 'node:crypto';
import type { Principal } from './principal.js';
import type { RiskLevel } from './risk-level.js';

export const PROTOCOLS = ['postgres', 'http', 'shell'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/**
 * What a classifier found in a command. The three lists are what policy rules
 * match on, the same way for every protocol:
 * - kinds: PostgreSQL statement kinds (`select`, `drop`, ...), HTTP methods, shell programs;
 * - objects: tables and other objects, normalized HTTP paths, files;
 * - flags: findings such as `no_where`, `cte_write`, `dynamic_sql`, `unparseable`.
 * `details` carries anything else a classifier wants to show (explain, audit).
 */
export interface Facts {
  readonly kinds: readonly string[];
  readonly objects: readonly string[];
  readonly flags: readonly string[];
  readonly details?: Readonly<Record<string, unknown>>;
  /** What the command was measured to do before it could commit ("would delete 10,000 rows of public.orders"), for approvers. */
  readonly impact?: string;
}

export interface Classification {
  /** The classifier's intrinsic risk for the command (policy rules may change it). */
  readonly risk: RiskLevel;
  readonly facts: Facts;
}

export interface ActionInput {
  readonly principal: Principal;
  readonly protocol: Protocol;
  readonly target: string;
  readonly sessionId: string;
  /** Source IP address of the client. */
  readonly source: string;
  /** The command exactly as the upstream will see it. */
  readonly command: string;
  readonly classification: Classification;
  /** The requester's stated reason (ticket, incident), if any. */
  readonly reason?: string;
}

export interface Action extends ActionInput {
  /** Unique per check. */
  readonly id: string;
  /** Stable hash of the "what": protocol, target and command text. */
  readonly hash: string;
}

/** Canonical form of what an action does; the hash an approval is bound to. */
export function actionHash(protocol: Protocol, target: string, command: string): string {
  // JSON gives unambiguous delimiting of the three parts; the one-shot hash allocates no Hash object.
  return oneShotHash('sha256', JSON.stringify([protocol, target, command]), 'hex');
}

/**
 * An action whose id and hash are computed on first use: most actions are
 * allowed by a cached decision and never need either, and both cost a
 * random draw or a sha256 per statement on the hot path.
 */
class LazyAction implements Action {
  readonly principal: ActionInput['principal'];
  readonly protocol: Protocol;
  readonly target: string;
  readonly sessionId: string;
  readonly source: string;
  readonly command: string;
  readonly classification: Classification;
  readonly reason?: string;
  #id: string | undefined;
  #hash: string | undefined;

  constructor(input: ActionInput) {
    this.principal = input.principal;
    this.protocol = input.protocol;
    this.target = input.target;
    this.sessionId = input.sessionId;
    this.source = input.source;
    this.command = input.command;
    this.classification = input.classification;
    if (input.reason !== undefined) this.reason = input.reason;
  }

  get id(): string {
    return (this.#id ??= randomUUID());
  }

  get hash(): string {
    return (this.#hash ??= actionHash(this.protocol, this.target, this.command));
  }
}

export function createAction(input: ActionInput): Action {
  return new LazyAction(input);
}
