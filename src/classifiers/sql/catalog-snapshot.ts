/**
 * What a target database's catalog says about the names a statement can
 * reach, as plain data (read by the PostgreSQL adapter, resolved by
 * catalog-resolution.ts). Only what can change what a statement runs is kept:
 * every function with its overloads, and the code that user-defined objects
 * attach to relations, types and DDL.
 */

export interface CatalogFunction {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  /** Declared arguments, of which the last `defaults` may be left out. */
  readonly nargs: number;
  readonly defaults: number;
  readonly variadic: boolean;
  /** f function, p procedure, a aggregate, w window. */
  readonly kind: string;
  readonly language: string;
  readonly securityDefiner: boolean;
  /** Built into PostgreSQL or part of an installed extension: judged by name, not by body. */
  readonly trusted: boolean;
  /** PUBLIC may execute it (PostgreSQL revokes this from built-ins that reach files, processes or roles). */
  readonly publicExecute: boolean;
  /** Code to classify for a user-defined sql or plpgsql function. */
  readonly body?: FunctionBody;
  /** An aggregate's state, final, combine and moving-aggregate functions. */
  readonly helpers: readonly number[];
}

export type FunctionBody =
  | { readonly form: 'sql'; readonly text: string }
  | { readonly form: 'plpgsql'; readonly definition: string };

/** A user-defined operator (built-in operators run built-in functions). */
export interface CatalogOperator {
  readonly schema: string;
  readonly name: string;
  /** 1 prefix, 2 infix. */
  readonly arity: number;
  /** The operator's function and its planner selectivity functions. */
  readonly functions: readonly number[];
}

/** A relation with user code attached; relations without any are not listed. */
export interface CatalogRelation {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  /** Run by reading it: a view's query, row-security policies. */
  readonly readFunctions: readonly number[];
  /** Run by writing it: triggers, defaults, checks, index expressions, domains of its columns, policies. */
  readonly writeFunctions: readonly number[];
  /** Relations a view reads (reading or writing the view reaches them). */
  readonly baseRelations: readonly number[];
  /** Definitions of its rules other than a view's `_RETURN`: their actions run with the write. */
  readonly rules: readonly string[];
  /** Names of its user triggers, for the record. */
  readonly triggers: readonly string[];
}

export interface CatalogData {
  readonly functions: readonly CatalogFunction[];
  readonly operators: readonly CatalogOperator[];
  readonly relations: readonly CatalogRelation[];
  /** Check functions of user domains, by the domain's name (unqualified and schema-qualified). */
  readonly domainFunctions: ReadonlyMap<string, readonly number[]>;
  /**
   * User code any statement may run without naming it: cast functions,
   * comparison operators and support functions of user operator classes,
   * user base types' I/O, and user operators spelled `=`, `<` ... that
   * IN, CASE, ORDER BY and joins use implicitly.
   */
  readonly ambientFunctions: readonly number[];
  /** Functions of enabled event triggers: they run with DDL. */
  readonly eventTriggerFunctions: readonly number[];
  /** Single-column unique keys of user tables. */
  readonly uniqueKeys: readonly { readonly schema: string; readonly relation: string; readonly column: string }[];
}

/** CatalogData indexed for lookups by name. */
export class CatalogSnapshot {
  readonly functionsByName = new Map<string, CatalogFunction[]>();
  readonly functionsByOid = new Map<number, CatalogFunction>();
  readonly operatorsByName = new Map<string, CatalogOperator[]>();
  readonly relationsByName = new Map<string, CatalogRelation[]>();
  readonly relationsByOid = new Map<number, CatalogRelation>();
  /** `relation` → its unique single columns, per schema. */
  readonly uniqueKeysByRelation = new Map<string, { schema: string; column: string }[]>();

  constructor(readonly data: CatalogData, readonly generation: number) {
    for (const f of data.functions) {
      push(this.functionsByName, f.name, f);
      this.functionsByOid.set(f.oid, f);
    }
    for (const o of data.operators) push(this.operatorsByName, o.name, o);
    for (const k of data.uniqueKeys) push(this.uniqueKeysByRelation, k.relation, { schema: k.schema, column: k.column });
    for (const r of data.relations) {
      push(this.relationsByName, r.name, r);
      this.relationsByOid.set(r.oid, r);
    }
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A name qualified as `schema` refers to an object in that schema; `pg_temp` means the session's own temporary schema. */
export function inSchema(objectSchema: string, named: string | undefined): boolean {
  if (named === undefined) return true;
  if (named === 'pg_temp') return objectSchema.startsWith('pg_temp');
  return objectSchema === named;
}
