import { constText, list, str, stringList, unwrap, type AstRecord } from './ast.js';

/** Clauses this shape may carry; anything else (a CTE, a subquery, GROUP BY, ...) is not the shape. */
const ALLOWED_KEYS = new Set(['targetList', 'fromClause', 'whereClause', 'limitOption', 'op']);

function isNameColumn(node: unknown): boolean {
  const u = unwrap(node);
  if (!u || u[0] !== 'ColumnRef') return false;
  const fields = stringList(list(u[1], 'fields'));
  return fields.length === 1 ? fields[0] === 'name' : fields.length === 2 && fields[0] === 'pg_settings' && fields[1] === 'name';
}

/**
 * `SELECT set_config(name, 'value', bool) FROM pg_settings WHERE name = 'setting'`
 * changes exactly the one setting the WHERE names: pg_dump hardens its session
 * so (restrict_nonsystem_relation_kind). The setting name is a column, so the
 * general rule (a computed name may be `role`: critical) would refuse pg_dump.
 * Only this exact shape is resolved; any variation stays critical.
 */
export function pinnedSetConfig(select: AstRecord): { name: string; value: string } | null {
  if (!Object.keys(select).every((key) => ALLOWED_KEYS.has(key))) return null;
  if (str(select, 'op') !== undefined && str(select, 'op') !== 'SETOP_NONE') return null;
  const targets = list(select, 'targetList');
  const from = list(select, 'fromClause');
  if (targets.length !== 1 || from.length !== 1) return null;

  const relation = unwrap(from[0]);
  if (!relation || relation[0] !== 'RangeVar' || str(relation[1], 'relname') !== 'pg_settings') return null;
  const schema = str(relation[1], 'schemaname');
  if (schema !== undefined && schema !== 'pg_catalog') return null;

  const target = unwrap(targets[0]);
  const call = target && target[0] === 'ResTarget' ? unwrap(target[1]['val']) : undefined;
  if (!call || call[0] !== 'FuncCall') return null;
  const fname = stringList(list(call[1], 'funcname'));
  if (fname.join('.') !== 'set_config' && fname.join('.') !== 'pg_catalog.set_config') return null;
  const args = list(call[1], 'args');
  const value = constText(args[1]);
  if (args.length !== 3 || !isNameColumn(args[0]) || value === undefined || unwrap(args[2])?.[0] !== 'A_Const') return null;

  const where = unwrap(select['whereClause']);
  if (!where || where[0] !== 'A_Expr' || str(where[1], 'kind') !== 'AEXPR_OP') return null;
  if (stringList(list(where[1], 'name')).join('') !== '=') return null;
  const [left, right] = [where[1]['lexpr'], where[1]['rexpr']];
  const name = isNameColumn(left) ? constText(right) : isNameColumn(right) ? constText(left) : undefined;
  return name === undefined ? null : { name, value };
}
