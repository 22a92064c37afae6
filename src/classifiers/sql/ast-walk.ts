import { raiseRisk } from '../../model/risk-level.js';
import { constText, isRecord, list, rangeVarName, str, stringList, unwrap, type AstRecord } from './ast.js';
import { BUILTIN_FUNCTIONS } from './builtin-functions.js';
import { functionDanger, WRITING_BUILTINS } from './dangerous-functions.js';
import { securitySettingRisk } from './security-settings.js';
import type { StatementFacts } from './statement-facts.js';
import { mayMatchAll } from './where-clause.js';
import { equalityColumns } from './key-lookup.js';
import { collectCall, collectColumnRef, collectIndirection, collectOperator, collectSubLinkOperator, collectTypeCast, collectWrite } from './name-references.js';

export interface WalkOptions {
  /** Keys of the root body not to descend into (a handler analyses them itself). */
  readonly skipKeys?: ReadonlySet<string>;
  /** The tree is stored, not executed now (CREATE RULE, CREATE FUNCTION): nested writes count only as objects. */
  readonly deferred?: boolean;
}

interface Frame {
  readonly node: unknown;
  /** CTE names visible here: an unqualified relation with such a name is not a table. */
  readonly scope: ReadonlySet<string> | null;
  readonly inCte: boolean;
  readonly root: boolean;
}

const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
const DML_KIND: Readonly<Record<string, string>> = {
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
};

function isNodeName(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 65 && c <= 90;
}

/**
 * One iterative pass over a statement's tree (explicit stack: a deep
 * expression must not overflow ours). Collects relations, dangerous function
 * calls, set_config settings, data-modifying statements (with their missing
 * WHERE) and row locks into `facts`.
 */
export function walkStatement(root: unknown, facts: StatementFacts, options: WalkOptions = {}): void {
  const stack: Frame[] = [{ node: root, scope: null, inCte: false, root: true }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { node } = frame;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ ...frame, node: node[i], root: false });
      continue;
    }
    if (!isRecord(node)) continue;
    let name: string | undefined;
    let body: AstRecord = node;
    for (const key in node) {
      const v = node[key];
      if (isNodeName(key) && isRecord(v)) {
        name = key;
        body = v;
      }
      break;
    }
    // A constant holds nothing to collect; not reading it keeps classifications literal-free (literal-shape.ts).
    if (name === 'A_Const') continue;
    // RangeVar appears both wrapped (FROM lists) and bare (`relation` fields).
    if (typeof body['relname'] === 'string') {
      visitRangeVar(body, frame, facts);
      continue;
    }
    let scope = frame.scope;
    let inCte = frame.inCte;
    if (name !== undefined) {
      visitNode(name, body, frame, facts, options);
      if (name === 'CommonTableExpr') inCte = true;
      const withClause = body['withClause'];
      if (isRecord(withClause)) {
        scope = pushCtes(withClause, frame, stack);
      }
    }
    const skip = frame.root ? options.skipKeys : undefined;
    const keys = Object.keys(body);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      if (key === 'withClause' || skip?.has(key)) continue;
      const child = body[key];
      if (typeof child !== 'object' || child === null) continue;
      // The target of INSERT/UPDATE/DELETE/MERGE is always a table, never a CTE.
      const childScope = key === 'relation' && name !== undefined && DML.has(name) ? null : scope;
      stack.push({ node: child, scope: childScope, inCte, root: false });
    }
  }
}

function pushCtes(withClause: AstRecord, frame: Frame, stack: Frame[]): ReadonlySet<string> {
  const ctes = list(withClause, 'ctes');
  const names: string[] = [];
  for (const cte of ctes) {
    const body = isRecord(cte) && isRecord(cte['CommonTableExpr']) ? cte['CommonTableExpr'] : undefined;
    names.push(body ? str(body, 'ctename') ?? '' : '');
  }
  const recursive = withClause['recursive'] === true;
  const outer = frame.scope ? [...frame.scope] : [];
  ctes.forEach((cte, i) => {
    // A non-recursive CTE sees only the ones before it; its own name there is a table.
    const visible = new Set([...outer, ...(recursive ? names : names.slice(0, i))]);
    stack.push({ node: cte, scope: visible, inCte: true, root: false });
  });
  return new Set([...outer, ...names]);
}

function visitRangeVar(body: AstRecord, frame: Frame, facts: StatementFacts): void {
  const relname = str(body, 'relname') ?? '';
  const qualified = str(body, 'schemaname') !== undefined || str(body, 'catalogname') !== undefined;
  if (!qualified && frame.scope?.has(relname)) return;
  facts.objects.add(rangeVarName(body));
}

function visitNode(name: string, body: AstRecord, frame: Frame, facts: StatementFacts, options: WalkOptions): void {
  if (name === 'FuncCall') {
    collectCall(body, facts.refs);
    visitFuncCall(body, facts);
  } else if (name === 'A_Expr') {
    collectOperator(body, facts.refs);
  } else if (name === 'ColumnRef') {
    collectColumnRef(body, facts.refs);
  } else if (name === 'A_Indirection') {
    collectIndirection(body, facts.refs);
  } else if (name === 'TypeCast') {
    collectTypeCast(body, facts.refs);
  } else if (name === 'SubLink') {
    collectSubLinkOperator(body, facts.refs);
  } else if (DML.has(name)) {
    if (options.deferred && !frame.root) return;
    visitWrite(name, body, frame, facts);
  } else if (name === 'SelectStmt') {
    if (list(body, 'lockingClause').length > 0) facts.flag('select_for_update', 'medium');
    if (isRecord(body['intoClause'])) {
      facts.kind('create');
      facts.flag('writes', 'medium');
    }
  }
}

function visitWrite(name: string, body: AstRecord, frame: Frame, facts: StatementFacts): void {
  const kind = DML_KIND[name]!;
  facts.kind(kind);
  collectWrite(body['relation'], facts.refs);
  facts.flag('writes', 'medium');
  if (frame.inCte) facts.flag('cte_write');
  // How many rows it touches is not known from the text (a key lookup may still bound it: key-lookup.ts).
  if (name !== 'InsertStmt' || insertsFromQuery(body)) facts.flag('rows_unbounded');
  if ((name === 'UpdateStmt' || name === 'DeleteStmt') && isRecord(body['relation'])) {
    facts.refs.keyed.push({ relation: rangeVarName(body['relation']), columns: equalityColumns(body['whereClause']) });
  }
  let noWhere = false;
  if (name === 'UpdateStmt' || name === 'DeleteStmt') {
    noWhere = mayMatchAll(body['whereClause']);
  } else if (name === 'MergeStmt') {
    noWhere = mayMatchAll(body['joinCondition']) || mergeTouchesUnmatchedTarget(body);
  }
  if (noWhere) facts.flag('no_where', 'high');
}

/** INSERT ... SELECT (or DEFAULT VALUES-less query) inserts as many rows as the query returns; VALUES lists are counted in the text. */
function insertsFromQuery(body: AstRecord): boolean {
  const select = unwrap(body['selectStmt']);
  if (!select) return false;
  return !(select[0] === 'SelectStmt' && list(select[1], 'valuesLists').length > 0);
}

/** `WHEN NOT MATCHED BY SOURCE THEN DELETE|UPDATE` acts on every target row absent from the source. */
function mergeTouchesUnmatchedTarget(body: AstRecord): boolean {
  for (const clause of list(body, 'mergeWhenClauses')) {
    const c = isRecord(clause) && isRecord(clause['MergeWhenClause']) ? clause['MergeWhenClause'] : undefined;
    if (!c) continue;
    const bySource = str(c, 'matchKind') === 'MERGE_WHEN_NOT_MATCHED_BY_SOURCE';
    const cmd = str(c, 'commandType');
    if (bySource && (cmd === 'CMD_DELETE' || cmd === 'CMD_UPDATE') && mayMatchAll(c['condition'])) return true;
  }
  return false;
}

function visitFuncCall(body: AstRecord, facts: StatementFacts): void {
  const parts = stringList(list(body, 'funcname'));
  const fname = (parts[parts.length - 1] ?? '').toLowerCase();
  if (fname === 'set_config') {
    visitSetConfig(list(body, 'args'), facts);
    return;
  }
  const danger = functionDanger(fname);
  if (danger !== undefined) {
    facts.flag(`dangerous_function:${fname}`, 'critical');
    if (danger === 'executes_sql') facts.flag('dynamic_sql', 'critical');
    return;
  }
  // Unqualified names resolve to pg_catalog first; any other schema is user code.
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  const builtin = (schema === undefined || schema === 'pg_catalog') && BUILTIN_FUNCTIONS.has(parts[parts.length - 1] ?? '');
  if (builtin) {
    const writes = WRITING_BUILTINS.get(fname);
    if (writes) {
      facts.flag(`function_writes:${fname}`, writes);
      facts.flag('writes');
    }
    return;
  }
  // A user-defined function can do anything; what it does is invisible here.
  facts.flag('user_function', 'medium');
  facts.flag(`user_function:${parts.join('.')}`);
}

function visitSetConfig(args: readonly unknown[], facts: StatementFacts): void {
  const name = constText(args[0]);
  if (name === undefined) {
    // A computed setting name cannot be checked: it may be `role`.
    facts.flag('dangerous_function:set_config', 'critical');
    facts.flag('security_setting');
    return;
  }
  const value = constText(args[1]) ?? null;
  facts.settings.push({ name: name.toLowerCase(), value });
  const risk = securitySettingRisk(name, value);
  if (risk === undefined) return;
  facts.flag('security_setting', risk);
  if (risk === 'high' || risk === 'critical') facts.flag('dangerous_function:set_config', raiseRisk(risk, 3));
}
