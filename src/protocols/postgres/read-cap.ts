import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { ownRound } from './own-round.js';
import type { ProtocolState } from './protocol-state.js';
import { errorResponse, readDataRowText } from './server-messages.js';
import type { StatementEntry } from './statement-registry.js';
import type { UpstreamRelay } from './upstream-relay.js';

/** What a client is told when its read returned more rows than a rule's max_rows. */
export function rowCapRefusal(limit: number): Buffer {
  return errorResponse({
    severity: 'ERROR',
    code: '54000',
    message: `airlock: the result has more than ${limit.toLocaleString('en-US')} rows (max_rows of the policy); it was stopped`,
    hint: 'Narrow it with WHERE or LIMIT, or ask for approval with a reason (SET airlock.reason).',
  });
}

/**
 * PostgreSQL's estimate of the rows a read returns: `EXPLAIN (FORMAT JSON)`
 * as a named round of Airlock's own (it plans, never runs, the query; the
 * client's unnamed statement is untouched). Undefined when it cannot tell.
 */
export async function estimateRows(init: { relay: UpstreamRelay; upstream: Socket; protocol: ProtocolState; prepareEntry: (text: string) => StatementEntry }, query: string): Promise<number | undefined> {
  const { relay, upstream, protocol, prepareEntry } = init;
  const name = `airlock_estimate_${randomBytes(6).toString('hex')}`;
  let plan: string | null = null;
  await relay.ownRound(upstream, ownRound(protocol, name, [prepareEntry(`EXPLAIN (FORMAT JSON) ${query}`)]), (buffer, body, end) => {
    plan = readDataRowText(buffer, body, end)[0] ?? null;
  });
  if (plan === null) return undefined;
  try {
    const parsed = JSON.parse(plan) as { Plan?: { 'Plan Rows'?: unknown } }[];
    const rows = parsed[0]?.Plan?.['Plan Rows'];
    return typeof rows === 'number' ? rows : undefined;
  } catch {
    return undefined;
  }
}
