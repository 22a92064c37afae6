import { isRecord, list, str, stringList, unwrap } from './ast.js';
import { dependsOnRow } from './where-clause.js';

/**
 * Columns that a WHERE pins to a single value with `=` at its top level
 * (`aid = $1`, `t.id = 42 AND status = 'x'`): when one of them is a unique
 * key of the written table (the catalog knows), the write touches at most one
 * row. Only `column = expression-without-columns` counts; anything under OR,
 * NOT, or comparing two columns does not.
 */
export function equalityColumns(where: unknown): string[] {
  const out: string[] = [];
  const conjuncts: unknown[] = [where];
  while (conjuncts.length > 0) {
    const node = conjuncts.pop();
    const u = unwrap(node);
    if (!u) continue;
    const [name, body] = u;
    if (name === 'BoolExpr' && str(body, 'boolop') === 'AND_EXPR') {
      conjuncts.push(...list(body, 'args'));
      continue;
    }
    if (name !== 'A_Expr' || str(body, 'kind') !== 'AEXPR_OP') continue;
    const op = stringList(list(body, 'name'));
    // `=` unqualified or as pg_catalog's: OPERATOR(public.=) is someone else's equality.
    if (op[op.length - 1] !== '=' || (op.length > 1 && op[0] !== 'pg_catalog')) continue;
    const left = columnName(body['lexpr']);
    const right = columnName(body['rexpr']);
    if (left !== undefined && !dependsOnRow(body['rexpr'])) out.push(left);
    else if (right !== undefined && !dependsOnRow(body['lexpr'])) out.push(right);
  }
  return out;
}

function columnName(node: unknown): string | undefined {
  const u = unwrap(node);
  if (!u || u[0] !== 'ColumnRef') return undefined;
  const fields = list(u[1], 'fields');
  const last = unwrap(fields[fields.length - 1]);
  return last && last[0] === 'String' && isRecord(last[1]) ? (str(last[1], 'sval') ?? undefined) : undefined;
}
