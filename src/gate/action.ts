import { createHash, randomUUID } from 'node:crypto';
import type { Principal } from '../identity/principal.js';
import type { RiskLevel } from '../policy/risk-level.js';

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
  // JSON gives unambiguous delimiting of the three parts.
  return createHash('sha256').update(JSON.stringify([protocol, target, command])).digest('hex');
}

export function createAction(input: ActionInput): Action {
  return { ...input, id: randomUUID(), hash: actionHash(input.protocol, input.target, input.command) };
}
