import type { RiskLevel } from '../../model/risk-level.js';

/**
 * Run-time settings whose change alters who the session acts as, which
 * objects a name resolves to, or what is audited. Setting names are
 * case-insensitive in PostgreSQL, so callers pass them lower-cased.
 */
const SETTING_RISK: ReadonlyMap<string, RiskLevel> = new Map<string, RiskLevel>([
  ['role', 'high'],
  ['session_authorization', 'high'],
  // Disables triggers and foreign-key checks for the session.
  ['session_replication_role', 'high'],
  ['default_transaction_read_only', 'high'],
  ['transaction_read_only', 'high'],
  ['allow_system_table_mods', 'high'],
  ['zero_damaged_pages', 'high'],
  ['ignore_system_indexes', 'high'],
  ['ignore_checksum_failure', 'high'],
  ['log_statement', 'high'],
  ['log_min_duration_statement', 'high'],
  ['log_min_messages', 'high'],
  ['log_min_error_statement', 'high'],
  ['log_connections', 'high'],
  ['log_disconnections', 'high'],
  ['log_duration', 'high'],
  // Load shared libraries into the backend.
  ['session_preload_libraries', 'critical'],
  ['local_preload_libraries', 'critical'],
  ['dynamic_library_path', 'critical'],
  ['search_path', 'high'],
  ['check_function_bodies', 'medium'],
]);

/** Extensions whose settings control auditing. */
const AUDIT_PREFIXES = ['pgaudit.', 'pgaudit_', 'anon.', 'pg_stat_statements.'];

/** Settings where only one direction weakens the session: turning read-only on is harmless. */
const HARMLESS_VALUES: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['transaction_read_only', new Set(['true', 'on', '1', 'yes'])],
  ['default_transaction_read_only', new Set(['true', 'on', '1', 'yes'])],
]);

/**
 * search_path decides which schema unqualified names resolve to. An empty path
 * (what pg_dump and psql's hardening set) or one naming only pg_catalog is the
 * safe direction. Any other path changes what later unqualified names
 * (tables, functions, operators) resolve to: high.
 */
function searchPathRisk(value: string | null | undefined): RiskLevel | undefined {
  if (value == null) return 'medium';
  const schemas = value
    .split(',')
    .map((part) => part.trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1').trim())
    .filter((part) => part !== '');
  if (schemas.length === 0 || schemas.every((schema) => schema.toLowerCase() === 'pg_catalog')) return undefined;
  // Any other path changes what later unqualified names resolve to.
  return 'high';
}

/** Risk of setting `name` (to `value`, when known), or undefined for an ordinary setting. */
export function securitySettingRisk(name: string, value?: string | null): RiskLevel | undefined {
  const n = name.toLowerCase();
  if (n === 'search_path') return searchPathRisk(value);
  if (value != null && HARMLESS_VALUES.get(n)?.has(value.trim().toLowerCase())) return undefined;
  const known = SETTING_RISK.get(n);
  if (known) return known;
  if (AUDIT_PREFIXES.some((p) => n.startsWith(p))) return 'high';
  return undefined;
}
