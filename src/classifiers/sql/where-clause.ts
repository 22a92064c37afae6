import { constOf, isRecord, list, sameTree, str, stringList, unwrap, type AstRecord, type ConstValue } from './ast.js';

/**
 * Whether a WHERE (or MERGE ... ON) condition may let every row through.
 *
 * A condition restricts rows only if it depends on the row. So it "may match
 * all" when it folds to a constant true (`true`, `1=1`, `'a'='a'`, `NOT false`,
 * `x = x`, `x IS NULL OR x IS NOT NULL`), or when it references no column at
 * all (`length('a') = 1`, `now() > '2000-01-01'`, `$1`, `random() < 2`): such
 * a condition is all-or-nothing. A constant false (`'a'='b'`) restricts every
 * row. OR may match all if any branch may; AND only if every branch may.
 */
export function mayMatchAll(where: unknown): boolean {
  if (where === undefined || where === null) return true;
  const u = unwrap(where);
  if (!u) return true;
  const folded = fold(where);
  if (folded !== undefined) return folded;
  const [name, body] = u;
  if (name === 'BoolExpr') {
    const op = str(body, 'boolop');
    const args = list(body, 'args');
    if (op === 'OR_EXPR') return args.some(mayMatchAll);
    if (op === 'AND_EXPR') return args.every(mayMatchAll);
  }
  return !dependsOnRow(where);
}

/** True when the expression references a column (or a cursor position), anywhere inside it. */
export function dependsOnRow(node: unknown): boolean {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const n = stack.pop();
    if (Array.isArray(n)) {
      for (const c of n) stack.push(c);
    } else if (isRecord(n)) {
      if ('ColumnRef' in n || 'CurrentOfExpr' in n) return true;
      // A constant references no column; its value is not read (literal-shape.ts).
      if ('A_Const' in n) continue;
      for (const k in n) stack.push(n[k]);
    }
  }
  return false;
}

type Tri = boolean | undefined;

/** Three-valued constant folding of a boolean condition; undefined = not a constant. */
export function fold(node: unknown): Tri {
  const u = unwrap(node);
  if (!u) return undefined;
  const [name, body] = u;
  switch (name) {
    case 'A_Const':
    case 'TypeCast': {
      const c = value(node);
      return c ? truthOf(c) : undefined;
    }
    case 'BoolExpr':
      return foldBool(body);
    case 'A_Expr':
      return foldExpr(body);
    case 'NullTest': {
      const isNull = str(body, 'nulltesttype') === 'IS_NULL';
      const c = value(body['arg']);
      if (!c) return undefined;
      return (c.type === 'null') === isNull;
    }
    case 'BooleanTest': {
      const t = fold(body['arg']);
      const c = value(body['arg']);
      const isNull = c?.type === 'null';
      if (t === undefined && !isNull) return undefined;
      switch (str(body, 'booltesttype')) {
        case 'IS_TRUE': return t === true;
        case 'IS_NOT_TRUE': return t !== true;
        case 'IS_FALSE': return t === false && !isNull;
        case 'IS_NOT_FALSE': return !(t === false && !isNull);
        case 'IS_UNKNOWN': return isNull;
        case 'IS_NOT_UNKNOWN': return !isNull;
        default: return undefined;
      }
    }
    case 'SubLink':
      return foldSubLink(body);
    default:
      return undefined;
  }
}

function foldBool(body: AstRecord): Tri {
  const op = str(body, 'boolop');
  const args = list(body, 'args');
  if (op === 'NOT_EXPR') {
    const t = fold(args[0]);
    return t === undefined ? undefined : !t;
  }
  const values = args.map(fold);
  if (op === 'AND_EXPR') {
    if (values.includes(false)) return false;
    return values.every((v) => v === true) ? true : undefined;
  }
  if (op === 'OR_EXPR') {
    if (values.includes(true)) return true;
    if (isNullTautology(args)) return true;
    return values.every((v) => v === false) ? false : undefined;
  }
  return undefined;
}

/** `e IS NULL OR e IS NOT NULL` among the branches of an OR. */
function isNullTautology(args: readonly unknown[]): boolean {
  const tests = args.map(unwrap).filter((u): u is [string, AstRecord] => u?.[0] === 'NullTest');
  for (const a of tests) {
    for (const b of tests) {
      if (str(a[1], 'nulltesttype') === 'IS_NULL' && str(b[1], 'nulltesttype') === 'IS_NOT_NULL' && sameTree(a[1]['arg'], b[1]['arg'])) {
        return true;
      }
    }
  }
  return false;
}

function foldExpr(body: AstRecord): Tri {
  const kind = str(body, 'kind');
  const op = stringList(list(body, 'name')).join('.');
  const l = body['lexpr'];
  const r = body['rexpr'];
  if (kind === 'AEXPR_OP' || kind === 'AEXPR_DISTINCT' || kind === 'AEXPR_NOT_DISTINCT') {
    if (l !== undefined && r !== undefined && sameTree(l, r)) {
      // The same expression on both sides: true for every row where it is not NULL. Volatile
      // calls (`random() = random()`) are counted too: erring towards "may match all" only raises risk.
      if (kind === 'AEXPR_NOT_DISTINCT') return true;
      if (kind === 'AEXPR_DISTINCT') return false;
      if (op === '=' || op === '<=' || op === '>=') return true;
      if (op === '<>' || op === '!=' || op === '<' || op === '>') return false;
      return undefined;
    }
    // Values are read only when both sides are constants: `aid = 42` must not depend on 42 (literal-shape.ts).
    if (!isConstant(l) || !isConstant(r)) return undefined;
    const a = value(l);
    const b = value(r);
    if (!a || !b) return undefined;
    if (kind === 'AEXPR_DISTINCT' || kind === 'AEXPR_NOT_DISTINCT') {
      const same = a.type === 'null' || b.type === 'null' ? a.type === b.type : compare(a, b) === 0;
      return kind === 'AEXPR_NOT_DISTINCT' ? same : !same;
    }
    const c = compare(a, b);
    if (c === undefined) return undefined;
    switch (op) {
      case '=': return c === 0;
      case '<>': case '!=': return c !== 0;
      case '<': return c < 0;
      case '>': return c > 0;
      case '<=': return c <= 0;
      case '>=': return c >= 0;
      default: return undefined;
    }
  }
  if (!isConstant(l)) return undefined;
  if (kind === 'AEXPR_IN') {
    const a = value(l);
    const items = unwrap(r)?.[0] === 'List' ? list(unwrap(r)![1], 'items') : [];
    if (!a || items.length === 0) return undefined;
    const hits = items.map((i) => {
      const v = value(i);
      return v ? compare(a, v) === 0 : undefined;
    });
    const isIn = hits.includes(true) ? true : hits.every((h) => h === false) ? false : undefined;
    if (isIn === undefined) return undefined;
    return op === '<>' ? !isIn : isIn;
  }
  if (kind === 'AEXPR_BETWEEN' || kind === 'AEXPR_NOT_BETWEEN') {
    const a = value(l);
    const items = unwrap(r)?.[0] === 'List' ? list(unwrap(r)![1], 'items') : [];
    const lo = value(items[0]);
    const hi = value(items[1]);
    if (!a || !lo || !hi) return undefined;
    const c1 = compare(a, lo);
    const c2 = compare(a, hi);
    if (c1 === undefined || c2 === undefined) return undefined;
    const within = c1 >= 0 && c2 <= 0;
    return kind === 'AEXPR_BETWEEN' ? within : !within;
  }
  if (kind === 'AEXPR_LIKE' || kind === 'AEXPR_ILIKE') {
    if (!isConstant(r)) return undefined;
    const a = value(l);
    const p = value(r);
    if (a?.type !== 'str' || p?.type !== 'str') return undefined;
    const fold = kind === 'AEXPR_ILIKE';
    const m = likeMatch(fold ? a.v.toLowerCase() : a.v, fold ? p.v.toLowerCase() : p.v);
    return op.startsWith('!') ? !m : m;
  }
  return undefined;
}

/** `EXISTS (SELECT 1)` and `(SELECT true)`: a sub-select with no FROM and no WHERE. */
function foldSubLink(body: AstRecord): Tri {
  const sel = unwrap(body['subselect']);
  if (!sel || sel[0] !== 'SelectStmt') return undefined;
  const s = sel[1];
  if (list(s, 'fromClause').length > 0 || s['whereClause'] || s['havingClause'] || s['limitCount'] || s['valuesLists']) {
    return undefined;
  }
  const type = str(body, 'subLinkType');
  if (type === 'EXISTS_SUBLINK') return true;
  if (type === 'EXPR_SUBLINK') {
    const targets = list(s, 'targetList');
    const t = unwrap(targets[0]);
    return targets.length === 1 && t?.[0] === 'ResTarget' ? fold(t[1]['val']) : undefined;
  }
  return undefined;
}

/** A literal, possibly cast: decided from the tree's shape, without reading the value. */
function isConstant(node: unknown): boolean {
  const u = unwrap(node);
  if (!u) return false;
  if (u[0] === 'A_Const') return true;
  return u[0] === 'TypeCast' && isConstant(u[1]['arg']);
}

/** Constant value of a literal, possibly cast (`'t'::boolean`, `1::int`). */
function value(node: unknown): ConstValue | undefined {
  const u = unwrap(node);
  if (!u) return undefined;
  if (u[0] === 'A_Const') return constOf(u[1]);
  if (u[0] === 'TypeCast') {
    const inner = value(u[1]['arg']);
    if (!inner) return undefined;
    const tn = u[1]['typeName'];
    const names = isRecord(tn) ? stringList(list(tn, 'names')) : [];
    const type = names[names.length - 1] ?? '';
    if (type === 'bool' || type === 'boolean') {
      const t = truthOf(inner);
      return t === undefined ? undefined : { type: 'bool', v: t };
    }
    if (inner.type === 'str' && ['int2', 'int4', 'int8', 'numeric', 'float4', 'float8'].includes(type)) {
      const n = Number(inner.v.trim());
      return Number.isFinite(n) && inner.v.trim() !== '' ? { type: 'num', v: n } : undefined;
    }
    return inner;
  }
  return undefined;
}

/** How PostgreSQL reads a constant as a boolean (`'t'`, `'yes'`, `'on'`, `'1'`). */
function truthOf(c: ConstValue): boolean | undefined {
  if (c.type === 'bool') return c.v;
  if (c.type === 'null') return undefined;
  if (c.type === 'num') return undefined;
  const s = c.v.trim().toLowerCase();
  if (s === '') return undefined;
  if ('true'.startsWith(s) || 'yes'.startsWith(s) || s === 'on' || s === '1') return true;
  if ('false'.startsWith(s) || 'no'.startsWith(s) || s === 'off' || s === 'of' || s === '0') return false;
  return undefined;
}

function compare(a: ConstValue, b: ConstValue): number | undefined {
  if (a.type === 'null' || b.type === 'null') return undefined;
  if (a.type === 'num' && b.type === 'num') return a.v === b.v ? 0 : a.v < b.v ? -1 : 1;
  if (a.type === 'str' && b.type === 'str') return a.v === b.v ? 0 : a.v < b.v ? -1 : 1;
  if (a.type === 'bool' && b.type === 'bool') return a.v === b.v ? 0 : a.v ? 1 : -1;
  // Mixed literal types ('1' = 1): PostgreSQL coerces the unknown literal.
  if (a.type === 'str' && b.type === 'num') return numCompare(a.v, b.v);
  if (a.type === 'num' && b.type === 'str') {
    const c = numCompare(b.v, a.v);
    return c === undefined ? undefined : -c;
  }
  return undefined;
}

function numCompare(s: string, n: number): number | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  const v = Number(t);
  if (!Number.isFinite(v)) return undefined;
  return v === n ? 0 : v < n ? -1 : 1;
}

/** SQL LIKE with `%`, `_` and backslash escapes, matched without regular expressions. */
function likeMatch(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '\\' && p + 1 < pattern.length && pattern[p + 1] === text[t]) {
      t++;
      p += 2;
    } else if (pc === '_' || (pc !== undefined && pc !== '%' && pc !== '\\' && pc === text[t])) {
      t++;
      p++;
    } else if (pc === '%') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '%') p++;
  return p === pattern.length;
}
