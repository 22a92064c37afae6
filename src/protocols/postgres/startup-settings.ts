import { isAcceptedClientEncoding } from '../../classifiers/sql/lexer-settings.js';
import type { SplitOptions } from './startup-options.js';

/**
 * Startup parameters forwarded as they are: what libpq and drivers send on
 * their own, none of which changes what a session may do. client_encoding
 * is one of them only when it is an encoding the classifier reads as the
 * server will (UTF-8, SQL_ASCII); any other is gated, and refused.
 */
const PLAIN_PARAMETERS = new Set(['application_name', 'datestyle', 'timezone', 'intervalstyle', 'extra_float_digits']);

function isPlain(name: string, value: string): boolean {
  const lower = name.toLowerCase();
  return PLAIN_PARAMETERS.has(lower) || (lower === 'client_encoding' && isAcceptedClientEncoding(value));
}

/**
 * Every other startup parameter, and every `-c` in `options`, sets a server
 * setting before the first statement: a raw client could send
 * `session_replication_role=replica` that way. Those are gated like the
 * equivalent SET statements, which this builds.
 */
export function gatedStartupSettings(parameters: ReadonlyMap<string, string>, options: SplitOptions): string | null {
  const statements: string[] = [];
  for (const [name, value] of parameters) {
    if (name === 'user' || name === 'database' || name === 'options' || name === 'replication') continue;
    if (isPlain(name, value)) continue;
    statements.push(setStatement(name, value));
  }
  for (const [name, value] of options.settings) statements.push(setStatement(name, value));
  return statements.length > 0 ? statements.join('; ') : null;
}

function setStatement(name: string, value: string): string {
  const ident = name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
  return `SET ${ident} TO '${value.replace(/'/g, "''")}'`;
}
