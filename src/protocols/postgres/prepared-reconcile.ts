import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Classification } from '../../model/action.js';
import { ownRound } from './own-round.js';
import type { ProtocolState } from './protocol-state.js';
import type { UpstreamRelay } from './upstream-relay.js';
import { readDataRowText } from './server-messages.js';
import { readStatementEffects } from './statement-details.js';
import { type StatementEntry, unknownStatement } from './statement-registry.js';

const QUERY = 'SELECT name, statement, from_sql FROM pg_catalog.pg_prepared_statements';
/** Names of Airlock's own statement and portal in the round (random after it, never a client's). */
const PRIVATE_PREFIX = 'airlock_reconcile_';

export interface PreparedRow {
  name: string;
  statement: string;
  fromSql: boolean;
}

/**
 * The round that reads what the server holds under each prepared-statement
 * name, after code Airlock did not read may have changed it. It uses a named
 * statement and portal of its own (closed again in the same round), so the
 * client's unnamed statement and portal stay as they were.
 */
export class PreparedReconcile {
  private readonly statementName = `${PRIVATE_PREFIX}${randomBytes(6).toString('hex')}`;
  readonly rows: PreparedRow[] = [];

  /** The bytes of the round, and the same messages recorded in `state` as sent. */
  round(state: ProtocolState, entry: StatementEntry): Buffer {
    return ownRound(state, this.statementName, [{ ...entry, text: QUERY }]);
  }

  get text(): string {
    return QUERY;
  }

  /** One DataRow of the round (text format: name, statement, from_sql). */
  readonly onRow = (buffer: Buffer, body: number, end: number): void => {
    const [name, statement, fromSql] = readDataRowText(buffer, body, end);
    if (typeof name === 'string' && typeof statement === 'string') this.rows.push({ name, statement, fromSql: fromSql === 't' });
  };
}

/**
 * The entry to gate a server-held statement on. A protocol-level statement's
 * text is the row's text. A SQL PREPARE shows the whole query string it came
 * from: the PREPARE of that name inside it is found by classifying that
 * string; anything ambiguous is unknown (high risk).
 */
export function entryForRow(row: PreparedRow, classify: (text: string) => Classification): StatementEntry {
  if (!row.fromSql) return { text: row.statement, classification: classify(row.statement) };
  const texts = new Set<string>();
  for (const statement of readStatementEffects(classify(row.statement))) {
    if (statement.effect?.op === 'prepare' && statement.effect.name === row.name) texts.add(statement.effect.text);
  }
  if (texts.size !== 1) return unknownStatement('statement', row.name);
  const [text] = texts as unknown as [string];
  return { text, classification: classify(text), source: row.statement };
}

/**
 * Reads back what the server holds under each prepared-statement name (the
 * relay must be caught up and synced) and makes it the session's record.
 */
export async function reconcilePrepared(
  relay: UpstreamRelay,
  upstream: Socket,
  state: ProtocolState,
  classify: (text: string) => Classification,
  live: () => boolean,
): Promise<void> {
  const reconcile = new PreparedReconcile();
  await relay.ownRound(upstream, reconcile.round(state, { text: reconcile.text, classification: classify(reconcile.text) }), reconcile.onRow);
  if (!live()) return;
  const rows = reconcile.rows.filter((row) => !row.name.startsWith(PRIVATE_PREFIX));
  state.reconcile(rows, (row) => entryForRow(row, classify));
}
