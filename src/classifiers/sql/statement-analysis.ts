import type { RiskLevel } from '../../model/risk-level.js';
import { constText, isRecord, list, str, unwrap, type AstRecord } from './ast.js';
import { walkStatement } from './ast-walk.js';
import type { AnalysisContext } from './analysis-context.js';
import { analyzeDo } from './do-block.js';
import { analyzeSchemaStatement } from './schema-statements.js';
import { pinnedSetConfig } from './pinned-set-config.js';
import { securitySettingRisk } from './security-settings.js';
import { textAfterToken } from './sql-parser.js';
import { StatementFacts } from './statement-facts.js';
import { collectWrite } from './name-references.js';

/** Statements whose whole meaning is their kind and intrinsic risk. */
const SIMPLE: Readonly<Record<string, readonly [kind: string, risk: RiskLevel]>> = {
  VariableShowStmt: ['show', 'low'],
  ListenStmt: ['listen', 'low'],
  NotifyStmt: ['notify', 'low'],
  UnlistenStmt: ['unlisten', 'low'],
  ClosePortalStmt: ['close', 'low'],
  ConstraintsSetStmt: ['set', 'low'],
  CheckPointStmt: ['checkpoint', 'medium'],
  CommentStmt: ['comment', 'medium'],
  ReindexStmt: ['reindex', 'high'],
  ClusterStmt: ['cluster', 'high'],
  SecLabelStmt: ['security_label', 'high'],
  LoadStmt: ['load', 'critical'],
};

const TRANSACTION_KINDS: Readonly<Record<string, readonly [kind: string, risk: RiskLevel]>> = {
  TRANS_STMT_BEGIN: ['begin', 'low'],
  TRANS_STMT_START: ['begin', 'low'],
  TRANS_STMT_COMMIT: ['commit', 'low'],
  TRANS_STMT_ROLLBACK: ['rollback', 'low'],
  TRANS_STMT_SAVEPOINT: ['savepoint', 'low'],
  TRANS_STMT_RELEASE: ['release', 'low'],
  TRANS_STMT_ROLLBACK_TO: ['rollback', 'low'],
  // Two-phase commit leaves a transaction (and its locks) behind the session.
  TRANS_STMT_PREPARE: ['prepare_transaction', 'medium'],
  TRANS_STMT_COMMIT_PREPARED: ['commit_prepared', 'medium'],
  TRANS_STMT_ROLLBACK_PREPARED: ['rollback_prepared', 'medium'],
};

/** Classifies one parsed statement node (`{ DeleteStmt: {...} }`). */
export function analyzeStatement(stmt: unknown, ctx: AnalysisContext): StatementFacts {
  const facts = new StatementFacts();
  const u = unwrap(stmt);
  if (!u) {
    facts.kind('unparseable');
    facts.flag('unparseable', 'critical');
    return facts;
  }
  if (ctx.depth > ctx.maxDepth) {
    facts.kind(`other:${u[0]}`);
    facts.flag('dynamic_sql', 'critical');
    return facts;
  }
  const [name, body] = u;
  const simple = SIMPLE[name];
  if (simple) {
    facts.kind(simple[0]);
    facts.raise(simple[1]);
    walkStatement(stmt, facts);
    return facts;
  }
  switch (name) {
    case 'SelectStmt': {
      facts.kind('select');
      const pinned = pinnedSetConfig(body);
      if (pinned) {
        facts.objects.add('pg_settings');
        facts.settings.push({ name: pinned.name.toLowerCase(), value: pinned.value });
        const risk = securitySettingRisk(pinned.name, pinned.value);
        if (risk) facts.flag('security_setting', risk);
        if (risk === 'high' || risk === 'critical') facts.flag('dangerous_function:set_config', 'critical');
        return facts;
      }
      walkStatement(stmt, facts);
      return facts;
    }
    case 'LockStmt': {
      // ACCESS SHARE (mode 1) is the lock a plain SELECT takes (pg_dump locks every
      // table so); ROW SHARE (2) is SELECT FOR UPDATE's. Stronger modes block writers.
      const mode = typeof body['mode'] === 'number' ? body['mode'] : 8;
      facts.kind('lock');
      facts.raise(mode <= 1 ? 'low' : mode === 2 ? 'medium' : 'high');
      walkStatement(stmt, facts);
      return facts;
    }
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      walkStatement(stmt, facts);
      return facts;
    case 'TransactionStmt': {
      const [kind, risk] = TRANSACTION_KINDS[str(body, 'kind') ?? ''] ?? ['other:TransactionStmt', 'medium'];
      facts.kind(kind);
      facts.flag('in_transaction_control', risk);
      return facts;
    }
    case 'VariableSetStmt':
      analyzeSet(body, facts);
      return facts;
    case 'DiscardStmt':
      facts.kind('discard');
      // DISCARD ALL also resets the role and session authorization.
      if (str(body, 'target') === 'DISCARD_ALL') facts.flag('session_reset');
      return facts;
    case 'FetchStmt':
      facts.kind(body['ismove'] === true ? 'move' : 'fetch');
      return facts;
    case 'VacuumStmt':
      analyzeVacuum(body, stmt, facts);
      return facts;
    case 'RefreshMatViewStmt':
      facts.kind('refresh');
      facts.flag('writes', 'high');
      walkStatement(stmt, facts);
      return facts;
    case 'CallStmt':
      facts.kind('call');
      facts.raise('medium');
      walkStatement({ FuncCall: body['funccall'] }, facts);
      return facts;
    case 'DoStmt':
      return analyzeDo(body, ctx);
    case 'CopyStmt':
      analyzeCopy(body, stmt, facts, ctx);
      return facts;
    case 'ExplainStmt':
      analyzeExplain(body, facts, ctx);
      return facts;
    case 'PrepareStmt':
      analyzePrepare(body, facts, ctx);
      return facts;
    case 'ExecuteStmt':
      facts.kind('execute');
      // What runs is the prepared text; the proxy resolves the name and classifies that.
      facts.flag('execute_prepared', 'medium');
      facts.execute.push(str(body, 'name') ?? '');
      walkStatement(stmt, facts);
      return facts;
    case 'DeallocateStmt':
      facts.kind('deallocate');
      facts.deallocate.push(body['isall'] === true ? 'ALL' : str(body, 'name') ?? '');
      return facts;
    case 'DeclareCursorStmt':
      facts.kind('declare');
      absorbQuery(body, facts, ctx);
      return facts;
    case 'CreateTableAsStmt':
      facts.kind('create');
      facts.flag('writes', 'medium');
      walkStatement(stmt, facts, { skipKeys: new Set(['query']) });
      absorbQuery(body, facts, ctx);
      return facts;
    case 'CreateSchemaStmt':
      facts.kind('create');
      facts.raise('medium');
      if (str(body, 'schemaname')) facts.objects.add(str(body, 'schemaname')!);
      for (const element of list(body, 'schemaElts')) facts.absorb(ctx.analyze(element, { ...ctx, depth: ctx.depth + 1 }));
      return facts;
    default:
      if (analyzeSchemaStatement(name, body, stmt, facts)) return facts;
      facts.kind(`other:${name}`);
      facts.raise('medium');
      walkStatement(stmt, facts);
      return facts;
  }
}

/** Classifies the statement in `body.query` and folds it in, as it runs as part of this one. */
function absorbQuery(body: AstRecord, facts: StatementFacts, ctx: AnalysisContext): StatementFacts | undefined {
  if (!isRecord(body['query'])) return undefined;
  const inner = ctx.analyze(body['query'], { ...ctx, depth: ctx.depth + 1 });
  facts.absorb(inner);
  return inner;
}

function analyzeSet(body: AstRecord, facts: StatementFacts): void {
  const kind = str(body, 'kind') ?? '';
  const reset = kind === 'VAR_RESET' || kind === 'VAR_RESET_ALL';
  facts.kind(reset ? 'reset' : 'set');
  if (kind === 'VAR_RESET_ALL') {
    facts.flag('session_reset');
    return;
  }
  const settings: { name: string; value: string | null }[] = [];
  const name = (str(body, 'name') ?? '').toLowerCase();
  if (kind === 'VAR_SET_MULTI') {
    // SET TRANSACTION / SET SESSION CHARACTERISTICS AS TRANSACTION: one DefElem per setting.
    for (const arg of list(body, 'args')) {
      const d = unwrap(arg);
      if (d?.[0] === 'DefElem') settings.push({ name: (str(d[1], 'defname') ?? '').toLowerCase(), value: constText(d[1]['arg']) ?? null });
    }
  } else {
    const values = list(body, 'args').map((a) => constText(a) ?? '?');
    const value = reset ? null : kind === 'VAR_SET_DEFAULT' ? 'DEFAULT' : kind === 'VAR_SET_CURRENT' ? 'FROM CURRENT' : values.join(', ');
    settings.push({ name, value });
  }
  for (const s of settings) {
    facts.settings.push(s);
    const risk = securitySettingRisk(s.name, s.value);
    if (risk) facts.flag('security_setting', risk);
  }
}

function analyzeVacuum(body: AstRecord, stmt: unknown, facts: StatementFacts): void {
  facts.kind(body['is_vacuumcmd'] === true ? 'vacuum' : 'analyze');
  facts.raise('medium');
  for (const option of list(body, 'options')) {
    const d = unwrap(option);
    // VACUUM FULL rewrites the table under an exclusive lock.
    if (d?.[0] === 'DefElem' && str(d[1], 'defname') === 'full' && constText(d[1]['arg']) !== 'false') facts.raise('high');
  }
  walkStatement(stmt, facts);
}

function analyzeCopy(body: AstRecord, stmt: unknown, facts: StatementFacts, ctx: AnalysisContext): void {
  facts.kind('copy');
  facts.raise('medium');
  if (body['is_program'] === true) facts.flag('copy_program', 'critical');
  else if (typeof body['filename'] === 'string') facts.flag('copy_file', 'critical');
  if (body['is_from'] === true) {
    facts.flag('writes');
    collectWrite(body['relation'], facts.refs);
  }
  walkStatement(stmt, facts, { skipKeys: new Set(['query']) });
  absorbQuery(body, facts, ctx);
}

function analyzeExplain(body: AstRecord, facts: StatementFacts, ctx: AnalysisContext): void {
  facts.kind('explain');
  let analyze = false;
  for (const option of list(body, 'options')) {
    const d = unwrap(option);
    if (d?.[0] !== 'DefElem' || str(d[1], 'defname') !== 'analyze') continue;
    const value = d[1]['arg'] === undefined ? 'true' : (constText(d[1]['arg']) ?? 'true').toLowerCase();
    analyze = !['false', 'off', '0', 'no'].includes(value);
  }
  const inner = ctx.analyze(body['query'], { ...ctx, depth: ctx.depth + 1 });
  if (analyze) {
    // EXPLAIN ANALYZE runs the statement: it is as risky as the statement itself.
    facts.absorb(inner);
    if (inner.flags.has('writes')) facts.flag('explain_analyze_write');
  } else {
    // Planning alone can run functions (constant folding, operator selectivity): their names count.
    facts.refs.absorb(inner.refs);
    for (const o of inner.objects) facts.objects.add(o);
    if (inner.flags.has('unparseable')) facts.absorb(inner);
  }
}

function analyzePrepare(body: AstRecord, facts: StatementFacts, ctx: AnalysisContext): void {
  facts.kind('prepare');
  const inner = absorbQuery(body, facts, ctx);
  let text = ctx.text;
  try {
    text = textAfterToken(ctx.text, ctx.parser.scan(ctx.text), (t) => t.isKeyword && t.text.toLowerCase() === 'as') ?? ctx.text;
  } catch {
    // Keep the whole statement text.
  }
  facts.prepare.push({ name: str(body, 'name') ?? '', text });
  if (!inner) facts.flag('unparseable', 'critical');
}
