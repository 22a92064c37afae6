import { isRecord, list, rangeVarName, str, stringList, unwrap, type AstRecord } from './ast.js';

/**
 * A name in a statement that PostgreSQL resolves through its catalog: the
 * parse tree alone cannot say what it runs. `schema` is set when the statement
 * qualified the name; `arity` is the number of arguments (operators: 1 prefix,
 * 2 infix), or -1 when it cannot be counted (VARIADIC, WITHIN GROUP).
 */
export interface NameReference {
  readonly schema?: string;
  readonly name: string;
  readonly arity: number;
}

/**
 * Every name a statement asks PostgreSQL to resolve, collected while it is
 * classified, so that a catalog of the target (when there is one) can tell
 * what they run. Names only, never literals: the same for every text of a
 * literal shape.
 */
export interface NameReferences {
  /** Function and procedure calls, aggregates included. */
  readonly calls: readonly NameReference[];
  /** Operators written in the statement (`a ### b`, `OPERATOR(s.###)`, LIKE, BETWEEN, ANY). */
  readonly operators: readonly NameReference[];
  /** `x.name` and `(row).name`: a function of the row when `name` is not a column. */
  readonly attributes: readonly string[];
  /** Relations written (INSERT, UPDATE, DELETE, MERGE, COPY FROM, TRUNCATE): their triggers, rules and defaults run. */
  readonly writes: readonly string[];
  /** Types named in casts: a domain's checks or a cast function run. */
  readonly types: readonly string[];
  /** Per UPDATE or DELETE, the columns its WHERE pins with `=`: a unique key among them bounds it to one row. */
  readonly keyed?: readonly KeyedWrite[];
}

export interface KeyedWrite {
  readonly relation: string;
  readonly columns: readonly string[];
}

/** Mutable collector, merged into the result like the other facts. */
export class ReferenceSet {
  private readonly callKeys = new Map<string, NameReference>();
  private readonly operatorKeys = new Map<string, NameReference>();
  readonly attributes = new Set<string>();
  readonly writes = new Set<string>();
  readonly types = new Set<string>();
  readonly keyed: KeyedWrite[] = [];

  get empty(): boolean {
    return this.callKeys.size + this.operatorKeys.size + this.attributes.size + this.writes.size + this.types.size + this.keyed.length === 0;
  }

  call(ref: NameReference): void {
    this.callKeys.set(keyOf(ref), ref);
  }

  operator(ref: NameReference): void {
    this.operatorKeys.set(keyOf(ref), ref);
  }

  absorb(other: ReferenceSet): void {
    for (const [k, v] of other.callKeys) this.callKeys.set(k, v);
    for (const [k, v] of other.operatorKeys) this.operatorKeys.set(k, v);
    for (const a of other.attributes) this.attributes.add(a);
    for (const w of other.writes) this.writes.add(w);
    for (const t of other.types) this.types.add(t);
    this.keyed.push(...other.keyed);
  }

  toJSON(): NameReferences {
    return {
      calls: [...this.callKeys.values()],
      operators: [...this.operatorKeys.values()],
      attributes: [...this.attributes],
      writes: [...this.writes],
      types: [...this.types],
      ...(this.keyed.length > 0 ? { keyed: this.keyed.slice() } : {}),
    };
  }
}

function keyOf(ref: NameReference): string {
  return `${ref.schema ?? ''}\u0000${ref.name}\u0000${ref.arity}`;
}

function reference(parts: readonly string[], arity: number): NameReference | undefined {
  const name = parts[parts.length - 1];
  if (name === undefined || name === '') return undefined;
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  return schema === undefined ? { name, arity } : { schema, name, arity };
}

/** `f(a, b)`, `count(*)`, `f(VARIADIC arr)`, `percentile_cont(0.5) WITHIN GROUP (ORDER BY x)`. */
export function collectCall(body: AstRecord, refs: ReferenceSet): void {
  const parts = stringList(list(body, 'funcname'));
  const uncountable = body['func_variadic'] === true || body['agg_within_group'] === true;
  const ref = reference(parts, uncountable ? -1 : list(body, 'args').length);
  if (ref) refs.call(ref);
}

/** BETWEEN is spelled as a keyword in the tree; PostgreSQL runs `>=` and `<=` for it. */
const BETWEEN_KINDS = new Set(['AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN', 'AEXPR_BETWEEN_SYM', 'AEXPR_NOT_BETWEEN_SYM']);

export function collectOperator(body: AstRecord, refs: ReferenceSet): void {
  const arity = body['lexpr'] === undefined ? 1 : 2;
  if (BETWEEN_KINDS.has(str(body, 'kind') ?? '')) {
    refs.operator({ name: '>=', arity: 2 });
    refs.operator({ name: '<=', arity: 2 });
    return;
  }
  const ref = reference(stringList(list(body, 'name')), arity);
  if (ref) refs.operator(ref);
}

/** `x = ANY (SELECT ...)`, `x IN (SELECT ...)` (operator `=`), `x < ALL (...)`. */
export function collectSubLinkOperator(body: AstRecord, refs: ReferenceSet): void {
  const names = stringList(list(body, 'operName'));
  const type = str(body, 'subLinkType');
  if (names.length === 0) {
    if (type === 'ANY_SUBLINK' || type === 'ALL_SUBLINK') refs.operator({ name: '=', arity: 2 });
    return;
  }
  const ref = reference(names, 2);
  if (ref) refs.operator(ref);
}

/** `t.name`, `s.t.name`: when `name` is not a column of t, PostgreSQL calls `name(t)`. */
export function collectColumnRef(body: AstRecord, refs: ReferenceSet): void {
  const fields = list(body, 'fields');
  if (fields.length < 2) return;
  const last = unwrap(fields[fields.length - 1]);
  if (last && last[0] === 'String') refs.attributes.add(str(last[1], 'sval') ?? '');
}

/** `(expr).name`: the same attribute notation on any row value. */
export function collectIndirection(body: AstRecord, refs: ReferenceSet): void {
  for (const item of list(body, 'indirection')) {
    const u = unwrap(item);
    if (u && u[0] === 'String') refs.attributes.add(str(u[1], 'sval') ?? '');
  }
}

export function collectTypeCast(body: AstRecord, refs: ReferenceSet): void {
  const typeName = body['typeName'];
  if (!isRecord(typeName)) return;
  const names = stringList(list(typeName, 'names'));
  if (names.length === 0) return;
  refs.types.add(names.join('.'));
}

/** A written relation, bare (`relation` fields) or wrapped (`{ RangeVar: ... }` in TRUNCATE's list). */
export function collectWrite(relation: unknown, refs: ReferenceSet): void {
  const body = isRecord(relation) && isRecord(relation['RangeVar']) ? relation['RangeVar'] : relation;
  if (isRecord(body) && typeof body['relname'] === 'string') refs.writes.add(rangeVarName(body));
}
