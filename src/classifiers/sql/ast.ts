/**
 * Narrow accessors over libpg-query's JSON parse tree. The tree is untrusted
 * input shaped by the parser's protobuf-to-JSON output, so it is read as plain
 * records here and nowhere else: `{ NodeName: { ...fields } }` wrappers, with
 * default values (0, false, '') omitted.
 */

export type AstRecord = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is AstRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ DeleteStmt: {...} }` → `['DeleteStmt', {...}]`; anything else → undefined. */
export function unwrap(node: unknown): [string, AstRecord] | undefined {
  if (!isRecord(node)) return undefined;
  for (const key in node) {
    const body = node[key];
    if (isRecord(body)) return [key, body];
    return undefined;
  }
  return undefined;
}

export function field(body: AstRecord, name: string): unknown {
  return body[name];
}

export function str(body: AstRecord, name: string): string | undefined {
  const v = body[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(body: AstRecord, name: string): readonly unknown[] {
  const v = body[name];
  return Array.isArray(v) ? v : [];
}

export function bool(body: AstRecord, name: string): boolean {
  return body[name] === true;
}

/** `[{ String: { sval: 'a' } }, { String: { sval: 'b' } }]` → `['a', 'b']` (non-strings skipped). */
export function stringList(items: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    const u = unwrap(item);
    if (u && u[0] === 'String') out.push(str(u[1], 'sval') ?? '');
  }
  return out;
}

/** Name of a RangeVar as PostgreSQL resolved its spelling (unquoted parts are already folded). */
export function rangeVarName(body: AstRecord): string {
  const parts: string[] = [];
  const catalog = str(body, 'catalogname');
  const schema = str(body, 'schemaname');
  if (catalog) parts.push(catalog);
  if (schema) parts.push(schema);
  parts.push(str(body, 'relname') ?? '');
  return parts.join('.');
}

export type ConstValue =
  | { readonly type: 'bool'; readonly v: boolean }
  | { readonly type: 'num'; readonly v: number }
  | { readonly type: 'str'; readonly v: string }
  | { readonly type: 'null' };

/** Value of an `A_Const` body (the parser omits zero / false / '' values). */
export function constOf(body: AstRecord): ConstValue {
  if (body['isnull'] === true) return { type: 'null' };
  const b = body['boolval'];
  if (isRecord(b)) return { type: 'bool', v: b['boolval'] === true };
  const i = body['ival'];
  if (isRecord(i)) return { type: 'num', v: typeof i['ival'] === 'number' ? i['ival'] : 0 };
  const f = body['fval'];
  if (isRecord(f)) return { type: 'num', v: Number(typeof f['fval'] === 'string' ? f['fval'] : 0) };
  const s = body['sval'];
  if (isRecord(s)) return { type: 'str', v: typeof s['sval'] === 'string' ? s['sval'] : '' };
  const bs = body['bsval'];
  if (isRecord(bs)) return { type: 'str', v: typeof bs['bsval'] === 'string' ? bs['bsval'] : '' };
  return { type: 'null' };
}

/** Text form of a constant, for details (SET values, set_config arguments). */
export function constText(node: unknown): string | undefined {
  const u = unwrap(node);
  if (!u) return undefined;
  if (u[0] === 'A_Const') {
    const c = constOf(u[1]);
    return c.type === 'null' ? 'NULL' : String(c.v);
  }
  if (u[0] === 'TypeCast') return constText(u[1]['arg']);
  if (u[0] === 'String') return str(u[1], 'sval') ?? '';
  if (u[0] === 'Boolean') return String(u[1]['boolval'] === true);
  if (u[0] === 'Integer') return String(typeof u[1]['ival'] === 'number' ? u[1]['ival'] : 0);
  if (u[0] === 'Float') return str(u[1], 'fval') ?? '0';
  return undefined;
}

/** Structural equality ignoring source positions: `id = id` compares two such subtrees. */
export function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameTree(a[i], b[i])) return false;
    return true;
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const ka = Object.keys(a).filter((k) => !k.endsWith('location'));
  const kb = Object.keys(b).filter((k) => !k.endsWith('location'));
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!sameTree(a[k], b[k])) return false;
  return true;
}
