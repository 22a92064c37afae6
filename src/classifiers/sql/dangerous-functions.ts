/**
 * Functions that act outside the query's own rows: signal other sessions, read
 * or write server files, reach other servers, reconfigure the server, or run a
 * SQL string that cannot be analysed here. Matched on the unqualified name,
 * lower-cased, whatever schema the call names (fail closed on look-alikes).
 */
const DANGEROUS = new Set([
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'pg_ls_logdir',
  'pg_ls_waldir',
  'pg_ls_tmpdir',
  'pg_ls_archive_statusdir',
  'pg_ls_logicalsnapdir',
  'pg_ls_logicalmapdir',
  'pg_ls_replslotdir',
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_file_sync',
  'pg_logdir_ls',
  'lo_export',
  'lo_import',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'pg_switch_wal',
  'pg_create_restore_point',
  'pg_drop_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_create_physical_replication_slot',
  'pg_replication_origin_create',
  'pg_replication_origin_drop',
  'pg_logical_emit_message',
  'pg_log_backend_memory_contexts',
  // Replication slots and origins: read or move a slot's changes (data of every table), or another server's progress.
  'pg_logical_slot_get_changes',
  'pg_logical_slot_get_binary_changes',
  'pg_logical_slot_peek_changes',
  'pg_logical_slot_peek_binary_changes',
  'pg_replication_slot_advance',
  'pg_copy_logical_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_sync_replication_slots',
  'pg_replication_origin_advance',
  'pg_replication_origin_session_setup',
  'pg_replication_origin_session_reset',
  'pg_replication_origin_xact_setup',
  'pg_replication_origin_xact_reset',
  // Statistics resets erase what monitoring and forensics rely on.
  'pg_stat_reset',
  'pg_stat_reset_shared',
  'pg_stat_reset_single_table_counters',
  'pg_stat_reset_single_function_counters',
  'pg_stat_reset_slru',
  'pg_stat_reset_replication_slot',
  'pg_stat_reset_subscription_stats',
  'pg_stat_statements_reset',
  // Backups and recovery control.
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_wal_replay_pause',
  'pg_wal_replay_resume',
  'pg_log_standby_snapshot',
  // Catalog writes and server-side file names.
  'pg_import_system_collations',
  'pg_current_logfile',
]);

/**
 * Functions that execute a SQL string given as an argument, or read whole
 * tables, schemas or the database named only in a string (so no object of
 * the statement shows what they export).
 */
const EXECUTES_SQL = new Set([
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'ts_stat',
  'ts_rewrite',
  'table_to_xml',
  'table_to_xml_and_xmlschema',
  'schema_to_xml',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xml_and_xmlschema',
]);

/**
 * Built-ins that change state although they are called from a SELECT:
 * sequences (a reset `setval` breaks inserts) and large objects.
 */
export const WRITING_BUILTINS: ReadonlyMap<string, 'medium' | 'high'> = new Map([
  ['nextval', 'medium'],
  ['setval', 'high'],
  ['lo_unlink', 'high'],
  ['lo_truncate', 'high'],
  ['lo_truncate64', 'high'],
  ['lo_put', 'medium'],
  ['lowrite', 'medium'],
  ['lo_create', 'medium'],
  ['lo_creat', 'medium'],
  ['lo_from_bytea', 'medium'],
  ['pg_advisory_lock', 'medium'],
  ['pg_advisory_xact_lock', 'medium'],
]);

export type FunctionDanger = 'dangerous' | 'executes_sql' | undefined;

export function functionDanger(name: string): FunctionDanger {
  const n = name.toLowerCase();
  if (n.startsWith('dblink')) return 'executes_sql';
  if (EXECUTES_SQL.has(n)) return 'executes_sql';
  if (DANGEROUS.has(n)) return 'dangerous';
  return undefined;
}
