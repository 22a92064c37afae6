import type { CatalogData, CatalogFunction, CatalogOperator, CatalogRelation, FunctionBody } from '../../classifiers/sql/catalog-snapshot.js';
import * as Q from './catalog-queries.js';

/** The part of a PostgreSQL client the reader needs (node-postgres' Client fits). */
export interface CatalogConnection {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

type Row = Record<string, unknown>;

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

function oids(value: unknown): number[] {
  return Array.isArray(value) ? value.map(num).filter((oid) => oid !== 0) : [];
}

/** The fingerprint that changes whenever anything read by readCatalog does. */
export async function readCatalogSignature(connection: CatalogConnection): Promise<string> {
  await beginCatalogTransaction(connection, 'BEGIN READ ONLY');
  try {
    const { rows } = await connection.query(Q.SIGNATURE);
    return String(rows[0]?.['signature'] ?? '');
  } finally {
    await connection.query('COMMIT');
  }
}

/**
 * Opens a transaction whose settings are Airlock's own and end with it:
 * search_path (a role's path must not change what unqualified names in the
 * queries mean) and a statement timeout. Transaction-local, never for the
 * session: behind a transaction-pooling PgBouncer the server session is
 * shared, and a session setting would leak to other clients (and PgBouncer
 * refuses a statement_timeout startup parameter).
 */
async function beginCatalogTransaction(connection: CatalogConnection, begin: string): Promise<void> {
  await connection.query(begin);
  try {
    await connection.query("SELECT pg_catalog.set_config('search_path', 'pg_catalog', true), pg_catalog.set_config('statement_timeout', '30s', true)");
  } catch (err) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Reads what name resolution needs from one database, in one REPEATABLE READ
 * transaction so that every query sees the same catalog.
 */
export async function readCatalog(connection: CatalogConnection): Promise<CatalogData> {
  await beginCatalogTransaction(connection, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const version = num((await connection.query('SELECT current_setting(\'server_version_num\')::int AS v')).rows[0]?.['v']);
    const run = async (sql: string, values?: unknown[]): Promise<Row[]> => (await connection.query(sql, values)).rows;
    const [functionRows, bodyRows, aggregateRows, operatorRows, ambientRows, implicitRows, eventRows, domainRows, domainColumnRows, relationFunctionRows, viewRows, ruleRows, triggerRows, keyRows] = [
      await run(Q.FUNCTIONS),
      await run(Q.functionBodies(version)),
      await run(Q.AGGREGATES),
      await run(Q.OPERATORS),
      await run(Q.AMBIENT),
      await run(Q.IMPLICIT_OPERATORS),
      await run(Q.EVENT_TRIGGERS),
      await run(Q.DOMAINS),
      await run(Q.DOMAIN_COLUMNS),
      await run(Q.RELATION_FUNCTIONS),
      await run(Q.VIEW_BASES),
      await run(Q.RULES),
      await run(Q.TRIGGERS),
      await run(Q.UNIQUE_KEYS),
    ];
    const bodies = new Map<number, FunctionBody>();
    for (const row of bodyRows) {
      const body = functionBody(row);
      if (body) bodies.set(num(row['oid']), body);
    }
    const helpers = new Map<number, number[]>();
    for (const row of aggregateRows) helpers.set(num(row['oid']), oids(row['helpers']));
    const functions: CatalogFunction[] = functionRows.map((row) => {
      const oid = num(row['oid']);
      const body = bodies.get(oid);
      return {
        oid,
        schema: String(row['schema']),
        name: String(row['name']),
        nargs: num(row['nargs']),
        defaults: num(row['defaults']),
        variadic: row['variadic'] === true,
        kind: String(row['kind']),
        language: String(row['language']),
        securityDefiner: row['security_definer'] === true,
        trusted: row['trusted'] === true,
        publicExecute: row['public_execute'] === true,
        helpers: helpers.get(oid) ?? [],
        ...(body ? { body } : {}),
      };
    });
    const operators: CatalogOperator[] = operatorRows.map((row) => ({
      schema: String(row['schema']),
      name: String(row['name']),
      arity: row['kind'] === 'l' ? 1 : 2,
      functions: oids(row['functions']),
    }));
    const domains = domainClosure(domainRows);
    const relations = await relationsWithCode(run, { relationFunctionRows, viewRows, ruleRows, triggerRows, domainColumnRows, domains: domains.byOid });
    const ambientFunctions = [...new Set([...ambientRows, ...implicitRows].map((row) => num(row['fn'])).filter((oid) => oid !== 0))];
    return {
      functions,
      operators,
      relations,
      domainFunctions: domains.byName,
      ambientFunctions,
      eventTriggerFunctions: eventRows.map((row) => num(row['fn'])),
      uniqueKeys: keyRows.map((row) => ({ schema: String(row['schema']), relation: String(row['relation']), column: String(row['column']) })),
    };
  } finally {
    await connection.query('COMMIT');
  }
}

/** `prosrc` of a sql function, its BEGIN ATOMIC body as statements, or a plpgsql function's definition. */
function functionBody(row: Row): FunctionBody | undefined {
  if (typeof row['definition'] === 'string') return { form: 'plpgsql', definition: row['definition'] };
  if (typeof row['source'] === 'string') return { form: 'sql', text: row['source'] };
  if (typeof row['sql_body'] !== 'string') return undefined;
  // pg_get_function_sqlbody prints `RETURN expr` or `BEGIN ATOMIC\n stmt;\n ...\nEND`.
  const body = row['sql_body'].trim();
  if (/^RETURN\s/i.test(body)) return { form: 'sql', text: `SELECT ${body.slice(6)}` };
  const atomic = /^BEGIN\s+ATOMIC\b([\s\S]*)\bEND$/i.exec(body);
  // Anything else is classified as it stands: it does not parse, so it counts as critical.
  return { form: 'sql', text: atomic ? (atomic[1] ?? '') : body };
}

interface Domains {
  readonly byOid: Map<number, number[]>;
  readonly byName: Map<string, number[]>;
}

/** Each domain's check functions, including those of the domains it is based on. */
function domainClosure(rows: Row[]): Domains {
  const own = new Map<number, { base: number; functions: number[]; schema: string; name: string }>();
  for (const row of rows) own.set(num(row['oid']), { base: num(row['base']), functions: oids(row['functions']), schema: String(row['schema']), name: String(row['name']) });
  const byOid = new Map<number, number[]>();
  const byName = new Map<string, number[]>();
  for (const [oid, domain] of own) {
    const all = new Set<number>();
    let current: number | undefined = oid;
    for (let hops = 0; current !== undefined && hops < 64; hops++) {
      const d = own.get(current);
      if (!d) break;
      for (const f of d.functions) all.add(f);
      current = d.base;
    }
    if (all.size === 0) continue;
    const list = [...all];
    byOid.set(oid, list);
    for (const key of [domain.name, `${domain.schema}.${domain.name}`]) byName.set(key, [...(byName.get(key) ?? []), ...list]);
  }
  return { byOid, byName };
}

interface RelationRows {
  readonly relationFunctionRows: Row[];
  readonly viewRows: Row[];
  readonly ruleRows: Row[];
  readonly triggerRows: Row[];
  readonly domainColumnRows: Row[];
  readonly domains: Map<number, number[]>;
}

interface RelationDraft {
  readFunctions: Set<number>;
  writeFunctions: Set<number>;
  baseRelations: Set<number>;
  rules: string[];
  triggers: string[];
}

async function relationsWithCode(run: (sql: string, values?: unknown[]) => Promise<Row[]>, rows: RelationRows): Promise<CatalogRelation[]> {
  const drafts = new Map<number, RelationDraft>();
  const draft = (relid: number): RelationDraft => {
    let d = drafts.get(relid);
    if (!d) {
      d = { readFunctions: new Set(), writeFunctions: new Set(), baseRelations: new Set(), rules: [], triggers: [] };
      drafts.set(relid, d);
    }
    return d;
  };
  for (const row of rows.relationFunctionRows) {
    const fn = num(row['fn']);
    if (fn === 0) continue;
    const d = draft(num(row['relid']));
    (row['mode'] === 'r' ? d.readFunctions : d.writeFunctions).add(fn);
  }
  for (const row of rows.domainColumnRows) {
    const functions = rows.domains.get(num(row['type']));
    if (functions) for (const f of functions) draft(num(row['relid'])).writeFunctions.add(f);
  }
  for (const row of rows.viewRows) draft(num(row['relid'])).baseRelations.add(num(row['base']));
  for (const row of rows.ruleRows) draft(num(row['relid'])).rules.push(String(row['definition']));
  for (const row of rows.triggerRows) draft(num(row['relid'])).triggers.push(String(row['name']));
  if (drafts.size === 0) return [];
  const names = await run(Q.RELATION_NAMES, [[...drafts.keys()].map(String)]);
  return names.map((row) => {
    const oid = num(row['oid']);
    const d = drafts.get(oid)!;
    return {
      oid,
      schema: String(row['schema']),
      name: String(row['name']),
      readFunctions: [...d.readFunctions],
      writeFunctions: [...d.writeFunctions],
      baseRelations: [...d.baseRelations],
      rules: d.rules,
      triggers: d.triggers,
    };
  });
}
