/**
 * Catalog queries for name resolution (catalog-reader.ts). Object ids below
 * 16384 (FirstNormalObjectId) were created by initdb: built-in. Every query
 * reads only pg_catalog and works for any role (pg_proc.prosrc and the
 * pg_get_*def functions are readable by PUBLIC).
 */

/** Every function and overload; bodies come separately, for user functions only. */
export const FUNCTIONS = `
SELECT p.oid::int8 AS oid, n.nspname AS schema, p.proname AS name, p.pronargs AS nargs,
       p.pronargdefaults AS defaults, p.provariadic <> 0 AS variadic, p.prokind AS kind,
       l.lanname AS language, p.prosecdef AS security_definer,
       (p.oid < 16384 OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
          WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')) AS trusted,
       (p.proacl IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.aclexplode(p.proacl) a
          WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')) AS public_execute
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang`;

/** Bodies of user-defined sql and plpgsql functions (BEGIN ATOMIC bodies exist from PostgreSQL 14). */
export function functionBodies(serverVersion: number): string {
  const sqlBody = serverVersion >= 140000 ? 'p.prosqlbody IS NOT NULL' : 'false';
  return `
SELECT p.oid::int8 AS oid, l.lanname AS language,
       CASE WHEN l.lanname = 'plpgsql' THEN pg_catalog.pg_get_functiondef(p.oid) END AS definition,
       CASE WHEN l.lanname = 'sql' AND NOT (${sqlBody}) THEN p.prosrc END AS source,
       CASE WHEN l.lanname = 'sql' AND ${sqlBody} THEN pg_catalog.pg_get_function_sqlbody(p.oid) END AS sql_body
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE p.oid >= 16384 AND p.prokind <> 'a' AND l.lanname IN ('sql', 'plpgsql')`;
}

/** Support functions of user aggregates. */
export const AGGREGATES = `
SELECT aggfnoid::oid::int8 AS oid,
       ARRAY[aggtransfn::oid, aggfinalfn::oid, aggcombinefn::oid, aggserialfn::oid, aggdeserialfn::oid,
             aggmtransfn::oid, aggminvtransfn::oid, aggmfinalfn::oid]::int8[] AS helpers
FROM pg_catalog.pg_aggregate WHERE aggfnoid::oid >= 16384`;

/** User-defined operators with the function behind them and the planner's selectivity functions. */
export const OPERATORS = `
SELECT n.nspname AS schema, o.oprname AS name, o.oprkind AS kind,
       ARRAY[o.oprcode::oid, o.oprrest::oid, o.oprjoin::oid]::int8[] AS functions
FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
WHERE o.oid >= 16384`;

/** User code that runs without being named: casts, operator classes, base types' I/O, range support. */
export const AMBIENT = `
SELECT castfunc::int8 AS fn FROM pg_catalog.pg_cast WHERE oid >= 16384 AND castfunc <> 0
UNION SELECT o.oprcode::oid::int8 FROM pg_catalog.pg_amop a JOIN pg_catalog.pg_operator o ON o.oid = a.amopopr WHERE a.oid >= 16384
UNION SELECT amproc::oid::int8 FROM pg_catalog.pg_amproc WHERE oid >= 16384
UNION SELECT unnest(ARRAY[typinput::oid, typoutput::oid, typreceive::oid, typsend::oid, typmodin::oid,
                          typmodout::oid, typanalyze::oid])::int8
      FROM pg_catalog.pg_type WHERE oid >= 16384 AND typtype = 'b'
UNION SELECT unnest(ARRAY[rngcanonical::oid, rngsubdiff::oid])::int8 FROM pg_catalog.pg_range WHERE rngtypid >= 16384`;

/** User operators spelled like the ones IN, CASE, joins, ORDER BY and GROUP BY use without naming them. */
export const IMPLICIT_OPERATORS = `
SELECT unnest(ARRAY[o.oprcode::oid, o.oprrest::oid, o.oprjoin::oid])::int8 AS fn
FROM pg_catalog.pg_operator o
WHERE o.oid >= 16384 AND o.oprname IN ('=', '<>', '<', '>', '<=', '>=')`;

export const EVENT_TRIGGERS = `SELECT evtfoid::int8 AS fn FROM pg_catalog.pg_event_trigger WHERE evtenabled <> 'D'`;

/** A dependency on a user function or operator, read as the function that runs. */
const DEPENDED_FUNCTION = `CASE WHEN d.refclassid = 'pg_catalog.pg_operator'::regclass
    THEN (SELECT o.oprcode::oid FROM pg_catalog.pg_operator o WHERE o.oid = d.refobjid)
    ELSE d.refobjid END::int8`;
const ON_USER_CODE = `d.refclassid IN ('pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_operator'::regclass) AND d.refobjid >= 16384`;

/** User domains, their base types and the functions their checks run. */
export const DOMAINS = `
SELECT t.oid::int8 AS oid, n.nspname AS schema, t.typname AS name, t.typbasetype::int8 AS base,
       COALESCE((SELECT array_agg(DISTINCT ${DEPENDED_FUNCTION})
                 FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_depend d
                   ON d.classid = 'pg_catalog.pg_constraint'::regclass AND d.objid = c.oid
                 WHERE c.contypid = t.oid AND ${ON_USER_CODE}), '{}')::int8[] AS functions
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'd' AND t.oid >= 16384`;

/** Columns of user domain types (writing them runs the domain's checks). */
export const DOMAIN_COLUMNS = `
SELECT DISTINCT a.attrelid::int8 AS relid, a.atttypid::int8 AS type
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE t.typtype = 'd' AND t.oid >= 16384 AND a.attnum > 0 AND NOT a.attisdropped`;

/** Functions attached to relations, with whether reading ('r') or only writing ('w') runs them. */
export const RELATION_FUNCTIONS = `
WITH owners(cls, objid, relid, mode) AS (
  SELECT 'pg_catalog.pg_attrdef'::regclass, oid, adrelid, 'w' FROM pg_catalog.pg_attrdef
  UNION ALL SELECT 'pg_catalog.pg_constraint'::regclass, oid, conrelid, 'w' FROM pg_catalog.pg_constraint WHERE conrelid <> 0
  UNION ALL SELECT 'pg_catalog.pg_trigger'::regclass, oid, tgrelid, 'w' FROM pg_catalog.pg_trigger
  UNION ALL SELECT 'pg_catalog.pg_policy'::regclass, oid, polrelid, 'r' FROM pg_catalog.pg_policy
  UNION ALL SELECT 'pg_catalog.pg_class'::regclass, indexrelid, indrelid, 'w' FROM pg_catalog.pg_index
  UNION ALL SELECT 'pg_catalog.pg_rewrite'::regclass, oid, ev_class,
                   CASE WHEN rulename = '_RETURN' THEN 'r' ELSE 'w' END FROM pg_catalog.pg_rewrite
)
SELECT DISTINCT o.relid::int8 AS relid, o.mode, ${DEPENDED_FUNCTION} AS fn
FROM owners o JOIN pg_catalog.pg_depend d ON d.classid = o.cls AND d.objid = o.objid
WHERE ${ON_USER_CODE}`;

/** Relations a view reads. */
export const VIEW_BASES = `
SELECT DISTINCT r.ev_class::int8 AS relid, d.refobjid::int8 AS base
FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_depend d
  ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
WHERE r.rulename = '_RETURN' AND d.refobjid <> r.ev_class AND r.ev_class >= 16384`;

/** Rules other than a view's own query, as SQL. */
export const RULES = `
SELECT ev_class::int8 AS relid, pg_catalog.pg_get_ruledef(oid) AS definition
FROM pg_catalog.pg_rewrite WHERE rulename <> '_RETURN'`;

/** Single-column unique keys (a write that pins one with `=` touches at most one row). */
export const UNIQUE_KEYS = `
SELECT n.nspname AS schema, c.relname AS relation, a.attname AS column
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indisunique AND i.indisvalid AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL AND c.oid >= 16384`;

export const TRIGGERS = `SELECT tgrelid::int8 AS relid, tgname AS name FROM pg_catalog.pg_trigger WHERE NOT tgisinternal`;

export const RELATION_NAMES = `
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = ANY($1::int8[])`;

/**
 * A cheap fingerprint of everything above: row counts and the sum of row
 * versions (xmin) of each catalog. Any CREATE, REPLACE, ALTER or DROP of
 * what resolution reads changes it.
 */
export const SIGNATURE = `
SELECT concat_ws(',', ${[
  'pg_proc',
  'pg_operator',
  'pg_aggregate',
  'pg_cast',
  'pg_amop',
  'pg_amproc',
  'pg_type',
  'pg_range',
  'pg_trigger',
  'pg_rewrite',
  'pg_policy',
  'pg_attrdef',
  'pg_constraint',
  'pg_event_trigger',
  'pg_index',
  'pg_class',
  'pg_namespace',
  'pg_depend',
  'pg_extension',
]
  .map((table) => `(SELECT count(*) || ':' || COALESCE(sum(xmin::text::int8), 0) FROM pg_catalog.${table})`)
  .join(', ')}) AS signature`;
