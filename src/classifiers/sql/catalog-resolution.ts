import type { Classification } from '../../model/action.js';
import { maxRisk, type RiskLevel } from '../../model/risk-level.js';
import { type CatalogFunction, type CatalogSnapshot, inSchema } from './catalog-snapshot.js';
import { functionDanger, WRITING_BUILTINS } from './dangerous-functions.js';
import type { NameReference, NameReferences } from './name-references.js';
import type { StoredCode } from './stored-code.js';

/** Functions calling functions deeper than this are not followed: high. */
const MAX_CALL_DEPTH = 8;

/** Statement kinds that fire event triggers (ddl_command_start/end, sql_drop, table_rewrite). */
const DDL_KIND = /^(create|alter|drop|comment|grant|revoke|security_label|refresh|import|reindex)/;

/** Languages whose bodies Airlock reads; any other body is unknown to it. */
const READABLE_LANGUAGES = new Set(['sql', 'plpgsql']);

/** What a name resolves to adds to a statement: kinds and objects of the code it runs, flags, risk. */
class Reach {
  risk: RiskLevel = 'low';
  readonly kinds = new Set<string>();
  readonly objects = new Set<string>();
  readonly flags = new Set<string>();

  flag(flag: string, level?: RiskLevel): void {
    this.flags.add(flag);
    if (level) this.risk = maxRisk(this.risk, level);
  }

  add(other: Reach): void {
    this.risk = maxRisk(this.risk, other.risk);
    for (const k of other.kinds) this.kinds.add(k);
    for (const o of other.objects) this.objects.add(o);
    for (const f of other.flags) this.flags.add(f);
  }

  addClassification(c: Classification): void {
    this.risk = maxRisk(this.risk, c.risk);
    for (const k of c.facts.kinds) this.kinds.add(k);
    for (const o of c.facts.objects) this.objects.add(o);
    for (const f of c.facts.flags) if (!TEXT_FLAGS.has(f)) this.flags.add(f);
  }

  get empty(): boolean {
    return this.risk === 'low' && this.kinds.size + this.objects.size + this.flags.size === 0;
  }
}

const NOTHING = new Reach();

/** Flags about the stored code's text, not about what it does to the statement that runs it. */
const TEXT_FLAGS = new Set(['multi_statement', 'empty']);

/**
 * Resolves the names of a classified statement against one catalog snapshot
 * and adds what they reach: the body of every user function a call,
 * operator, aggregate or attribute notation can resolve to, the triggers,
 * rules and defaults a write fires, a view's query, domain checks, casts and
 * event triggers. A name is resolved over-approximately: every overload of
 * the name in every schema (or the named one) whose argument count fits
 * counts, because the session's search_path and argument types pick among
 * them at run time. Built-in and extension functions are judged by name.
 * Only ever raises risk; the classification without a catalog stands.
 */
export class CatalogResolution {
  private readonly functionReach = new Map<number, Reach>();
  private readonly inProgress = new Set<number>();
  private readonly refined = new WeakMap<Classification, Classification>();
  private readonly relationCache = new Map<string, Reach>();
  /** Reached by every statement; computed once (while it is, bodies add nothing ambient: it is counted once, here). */
  private ambient: Reach = NOTHING;

  private readonly storedCache = new Map<string, Classification>();

  constructor(
    private readonly snapshot: CatalogSnapshot,
    private readonly classifyStoredCode: (code: StoredCode) => Classification,
  ) {
    try {
      this.ambient = this.indirect(snapshot.data.ambientFunctions, 0);
    } catch {
      this.ambient = new Reach();
      this.ambient.flag('catalog_resolution_failed', 'critical');
    }
  }

  private classifyStored(code: StoredCode): Classification {
    const key = `${code.form}\u0000${code.form === 'sql' ? code.text : code.definition}`;
    let c = this.storedCache.get(key);
    if (c === undefined) {
      c = this.classifyStoredCode(code);
      this.storedCache.set(key, c);
    }
    return c;
  }

  get generation(): number {
    return this.snapshot.generation;
  }

  /** The classification with what its names reach; the same object when they reach nothing new. */
  refine(classification: Classification): Classification {
    const cached = this.refined.get(classification);
    if (cached !== undefined) return cached;
    let out: Classification;
    try {
      const reach = this.reachOf(classification, 0);
      out = reach.empty ? classification : merged(classification, reach);
    } catch {
      // A catalog Airlock cannot walk (a tree too deep, data it did not expect) is not guessed at.
      const failed = new Reach();
      failed.flag('catalog_resolution_failed', 'critical');
      out = merged(classification, failed);
    }
    this.refined.set(classification, out);
    return out;
  }

  private reachOf(classification: Classification, depth: number): Reach {
    const reach = new Reach();
    for (const refs of referencesIn(classification.facts.details)) this.addReferences(refs, reach, depth);
    reach.add(this.ambient);
    if (this.snapshot.data.eventTriggerFunctions.length > 0 && classification.facts.kinds.some((k) => DDL_KIND.test(k))) {
      reach.add(this.indirect(this.snapshot.data.eventTriggerFunctions, depth));
      reach.flags.add('event_trigger');
    }
    for (const object of classification.facts.objects) reach.add(this.relationReach(object, false, depth));
    if (depth === 0 && this.writesByKey(classification, reach)) reach.flags.add('write_by_key');
    return reach;
  }

  /**
   * One UPDATE or DELETE whose WHERE pins a unique key of its table with `=`,
   * firing no user code: it touches at most one row, so there is nothing to
   * measure before it commits.
   */
  private writesByKey(classification: Classification, reach: Reach): boolean {
    const { flags, kinds } = classification.facts;
    if (!flags.includes('rows_unbounded') || flags.includes('cte_write') || reach.flags.has('rows_unbounded')) return false;
    if (kinds.some((k) => k === 'merge' || k === 'insert') || reach.risk !== 'low') return false;
    const refs = referencesIn(classification.facts.details);
    if (refs.length !== 1) return false;
    const keyed = refs[0]!.keyed ?? [];
    if (keyed.length !== 1 || refs[0]!.writes.length !== 1) return false;
    const { relation, columns } = keyed[0]!;
    const dot = relation.lastIndexOf('.');
    const name = dot < 0 ? relation : relation.slice(dot + 1);
    const schema = dot < 0 ? undefined : relation.slice(0, dot).split('.').pop();
    const keys = (this.snapshot.uniqueKeysByRelation.get(name) ?? []).filter((k) => inSchema(k.schema, schema));
    // Unqualified, the name may mean a table in another schema: every table of that name must be keyed so.
    const schemas = new Set(keys.map((k) => k.schema));
    if (schemas.size === 0) return false;
    for (const s of schemas) if (!keys.some((k) => k.schema === s && columns.includes(k.column))) return false;
    const candidates = (this.snapshot.relationsByName.get(name) ?? []).filter((r) => inSchema(r.schema, schema));
    return candidates.length === 0;
  }

  private addReferences(refs: NameReferences, reach: Reach, depth: number): void {
    for (const call of refs.calls) reach.add(this.callReach(call, depth));
    for (const op of refs.operators) {
      for (const candidate of this.snapshot.operatorsByName.get(op.name) ?? []) {
        if (candidate.arity !== op.arity || !inSchema(candidate.schema, op.schema)) continue;
        const r = this.indirect(candidate.functions, depth);
        reach.add(r);
        if (!r.empty) reach.flags.add(`operator:${candidate.schema}.${candidate.name}`);
      }
    }
    for (const attribute of refs.attributes) {
      for (const f of this.snapshot.functionsByName.get(attribute) ?? []) {
        if (!acceptsArity(f, 1)) continue;
        const r = this.functionReachOf(f, depth + 1, false);
        reach.add(r);
        if (!r.empty && !f.trusted) reach.flags.add(`attribute_call:${f.schema}.${f.name}`);
      }
    }
    for (const type of refs.types) {
      const functions = this.snapshot.data.domainFunctions.get(type);
      if (functions) reach.add(this.indirect(functions, depth));
    }
    for (const relation of refs.writes) reach.add(this.relationReach(relation, true, depth));
  }

  private callReach(call: NameReference, depth: number): Reach {
    const candidates = (this.snapshot.functionsByName.get(call.name) ?? []).filter((f) => inSchema(f.schema, call.schema) && acceptsArity(f, call.arity));
    if (candidates.length === 0) {
      const named = this.snapshot.functionsByName.has(call.name);
      // Nothing by that name (or with that many arguments): it was created after the snapshot, or the call fails.
      const reach = new Reach();
      if (!named) reach.flag(`unresolved_function:${qualified(call)}`, 'high');
      return reach;
    }
    const reach = new Reach();
    // A call by name was already judged by name as a built-in; the catalog adds what the name can also mean.
    for (const f of candidates) reach.add(this.functionReachOf(f, depth + 1, true));
    return reach;
  }

  /** Functions run without being named (operators, aggregates' helpers, triggers, casts): judged fully. */
  private indirect(oids: readonly number[], depth: number): Reach {
    const reach = new Reach();
    for (const oid of oids) {
      const f = this.snapshot.functionsByOid.get(oid);
      if (f === undefined) {
        reach.flag('unresolved_function', 'high');
        continue;
      }
      reach.add(this.functionReachOf(f, depth + 1, false));
    }
    return reach;
  }

  private functionReachOf(f: CatalogFunction, depth: number, calledByName: boolean): Reach {
    if (f.trusted) return trustedReach(f, calledByName);
    if (depth > MAX_CALL_DEPTH) {
      const reach = new Reach();
      reach.flag('function_depth', 'high');
      return reach;
    }
    const known = this.functionReach.get(f.oid);
    if (known !== undefined) return known;
    // A cycle adds nothing the outer evaluation does not already count.
    if (this.inProgress.has(f.oid)) return NOTHING;
    this.inProgress.add(f.oid);
    try {
      const reach = this.userFunctionReach(f, depth);
      this.functionReach.set(f.oid, reach);
      return reach;
    } finally {
      this.inProgress.delete(f.oid);
    }
  }

  private userFunctionReach(f: CatalogFunction, depth: number): Reach {
    const reach = new Reach();
    const name = `${f.schema}.${f.name}`;
    reach.flags.add(`user_function:${name}`);
    reach.risk = 'medium';
    if (f.securityDefiner) reach.flag(`security_definer:${name}`, 'medium');
    if (f.kind === 'a') {
      reach.add(this.indirect(f.helpers, depth));
      return reach;
    }
    if (f.body === undefined || !READABLE_LANGUAGES.has(f.language)) {
      reach.flag(`function_language:${f.language}`, 'high');
      return reach;
    }
    const body = this.classifyStored(f.body);
    reach.addClassification(body);
    reach.add(this.reachOf(body, depth));
    return reach;
  }

  private relationReach(name: string, write: boolean, depth: number): Reach {
    const key = `${write ? 'w' : 'r'}${depth}\u0000${name}`;
    const known = this.relationCache.get(key);
    if (known !== undefined) return known;
    const reach = this.uncachedRelationReach(name, write, depth);
    this.relationCache.set(key, reach);
    return reach;
  }

  private uncachedRelationReach(name: string, write: boolean, depth: number): Reach {
    const dot = name.lastIndexOf('.');
    const relname = dot < 0 ? name : name.slice(dot + 1);
    const schema = dot < 0 ? undefined : name.slice(0, dot).split('.').pop();
    const reach = new Reach();
    for (const relation of this.snapshot.relationsByName.get(relname) ?? []) {
      if (!inSchema(relation.schema, schema)) continue;
      reach.add(this.relationOidReach(relation.oid, write, depth, new Set()));
    }
    return reach;
  }

  private relationOidReach(oid: number, write: boolean, depth: number, seen: Set<number>): Reach {
    const reach = new Reach();
    const relation = this.snapshot.relationsByOid.get(oid);
    if (relation === undefined || seen.has(oid) || depth > MAX_CALL_DEPTH) return reach;
    seen.add(oid);
    const label = `${relation.schema}.${relation.name}`;
    reach.add(this.indirect(relation.readFunctions, depth));
    if (write) {
      reach.add(this.indirect(relation.writeFunctions, depth));
      for (const trigger of relation.triggers) reach.flags.add(`trigger:${label}.${trigger}`);
      for (const rule of relation.rules) {
        const actions = this.classifyStored({ form: 'rule', definition: rule });
        reach.flags.add(`rule:${label}`);
        reach.addClassification(actions);
        reach.add(this.reachOf(actions, depth + 1));
      }
    }
    for (const base of relation.baseRelations) reach.add(this.relationOidReach(base, write, depth + 1, seen));
    return reach;
  }
}

/** Built-in and extension functions: by name, as the classifier judges a call, plus their privileges. */
function trustedReach(f: CatalogFunction, calledByName: boolean): Reach {
  const reach = new Reach();
  const name = f.name.toLowerCase();
  if (!f.publicExecute) reach.flag(`not_granted_to_public:${f.schema}.${f.name}`, 'high');
  // A call by name was judged on its name and arguments; reached indirectly, its arguments are unknown.
  if (calledByName) return reach;
  if (name === 'set_config' || functionDanger(name) !== undefined) reach.flag(`dangerous_function:${name}`, 'critical');
  const writes = WRITING_BUILTINS.get(name);
  if (writes) reach.flag(`function_writes:${name}`, writes);
  return reach;
}

function acceptsArity(f: CatalogFunction, arity: number): boolean {
  if (arity < 0) return true;
  if (f.variadic && arity >= f.nargs - 1) return true;
  return arity <= f.nargs && arity >= f.nargs - f.defaults;
}

function qualified(ref: NameReference): string {
  return ref.schema === undefined ? ref.name : `${ref.schema}.${ref.name}`;
}

/** References of a classification, or of each classification merged into one (an extended batch). */
function referencesIn(details: Readonly<Record<string, unknown>> | undefined): NameReferences[] {
  if (!details) return [];
  const out: NameReferences[] = [];
  const own = details['references'];
  if (isReferences(own)) out.push(own);
  const statements = details['statements'];
  if (Array.isArray(statements)) {
    for (const s of statements) {
      if (typeof s === 'object' && s !== null && isReferences((s as Record<string, unknown>)['references'])) {
        out.push((s as Record<string, unknown>)['references'] as NameReferences);
      }
    }
  }
  return out;
}

function isReferences(value: unknown): value is NameReferences {
  return typeof value === 'object' && value !== null && Array.isArray((value as Record<string, unknown>)['calls']);
}

function merged(base: Classification, reach: Reach): Classification {
  const kinds = [...base.facts.kinds];
  for (const k of reach.kinds) if (!kinds.includes(k)) kinds.push(k);
  const objects = [...new Set([...base.facts.objects, ...reach.objects])];
  const flags = [...new Set([...base.facts.flags, ...reach.flags])].sort();
  return Object.freeze({
    risk: maxRisk(base.risk, reach.risk),
    facts: Object.freeze({ kinds, objects, flags, details: base.facts.details }),
  }) as Classification;
}
