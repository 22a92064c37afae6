import type { RiskLevel } from '../../model/risk-level.js';
import { isRecord, list, str, stringList, unwrap, type AstRecord } from './ast.js';
import type { StatementFacts } from './statement-facts.js';
import { walkStatement } from './ast-walk.js';
import { collectWrite } from './name-references.js';

/** DROP of these loses data or every object inside: critical. Other drops are high. */
const DESTRUCTIVE_DROPS = new Set(['OBJECT_TABLE', 'OBJECT_SCHEMA', 'OBJECT_DATABASE', 'OBJECT_EXTENSION', 'OBJECT_TABLESPACE']);

/** Procedural languages that cannot reach the server's files or processes. Anything else is untrusted. */
const TRUSTED_LANGUAGES = new Set(['sql', 'plpgsql', 'plperl', 'pltcl', 'plv8', 'pljava', 'plrust', 'pllua']);

/** Statements about roles and privileges: kind, flags, all critical. */
const ROLE_STATEMENTS: Readonly<Record<string, readonly [kind: string, ...flags: string[]]>> = {
  CreateRoleStmt: ['create_role', 'role_change'],
  AlterRoleStmt: ['alter_role', 'role_change'],
  AlterRoleSetStmt: ['alter_role', 'role_change'],
  DropRoleStmt: ['drop_role', 'role_change'],
  AlterOwnerStmt: ['alter', 'role_change'],
  ReassignOwnedStmt: ['alter', 'role_change'],
  DropOwnedStmt: ['drop', 'role_change'],
  AlterDefaultPrivilegesStmt: ['alter_default_privileges', 'privilege_change'],
};

/** CREATE statements that install code which runs later, for other sessions, or with elevated rights. */
const CREATE_RISK: Readonly<Record<string, RiskLevel>> = {
  CreateExtensionStmt: 'critical',
  CreatePLangStmt: 'critical',
  CreateTrigStmt: 'high',
  CreateEventTrigStmt: 'high',
  RuleStmt: 'high',
  CreatePolicyStmt: 'high',
  CreateSubscriptionStmt: 'high',
  CreateForeignServerStmt: 'high',
  CreateFdwStmt: 'high',
  CreateUserMappingStmt: 'high',
  CreateTableSpaceStmt: 'high',
  CreateTransformStmt: 'high',
  CreateCastStmt: 'high',
  // Change what later statements' names resolve to (operators, aggregates, casts, conversions, domains' checks).
  DefineStmt: 'high',
  CreateConversionStmt: 'high',
  CreatePublicationStmt: 'high',
  CreateOpClassStmt: 'high',
  CreateOpFamilyStmt: 'high',
  CreateDomainStmt: 'high',
  CreateRangeStmt: 'high',
};

/** CREATE statements whose node name does not start with `Create`. */
const OTHER_CREATES = new Set(['IndexStmt', 'ViewStmt', 'DefineStmt', 'CompositeTypeStmt', 'RuleStmt', 'CreatedbStmt']);

/** Trees stored for later (rule actions, function bodies): their writes do not run now. */
const DEFERRED = new Set(['RuleStmt', 'CreateFunctionStmt', 'CreateTrigStmt', 'ViewStmt', 'CreatePolicyStmt', 'AlterPolicyStmt']);

/** Handles DDL, privileges and roles; false when `name` is none of them. */
export function analyzeSchemaStatement(name: string, body: AstRecord, stmt: unknown, facts: StatementFacts): boolean {
  const role = ROLE_STATEMENTS[name];
  if (role) {
    const [kind, ...flags] = role;
    facts.kind(kind);
    for (const f of flags) facts.flag(f, 'critical');
  } else if (name === 'GrantStmt' || name === 'GrantRoleStmt') {
    facts.kind(body['is_grant'] === true ? 'grant' : 'revoke');
    facts.flag('privilege_change', 'critical');
    if (name === 'GrantRoleStmt') facts.flag('role_change');
  } else if (name === 'DropStmt') {
    analyzeDrop(body, facts);
  } else if (name === 'DropdbStmt' || name === 'DropTableSpaceStmt') {
    facts.kind('drop');
    facts.raise('critical');
    const target = str(body, 'dbname') ?? str(body, 'tablespacename');
    if (target) facts.objects.add(target);
  } else if (name === 'TruncateStmt') {
    facts.kind('truncate');
    facts.flag('writes', 'high');
    for (const relation of list(body, 'relations')) collectWrite(relation, facts.refs);
  } else if (name === 'AlterTableStmt' || name === 'AlterDomainStmt') {
    analyzeAlterTable(name, body, facts);
  } else if (name === 'AlterSystemStmt') {
    facts.kind('alter_system');
    facts.raise('critical');
  } else if (name === 'CreateFunctionStmt') {
    analyzeCreateFunction(body, facts);
  } else if (name.startsWith('Create') || OTHER_CREATES.has(name)) {
    facts.kind('create');
    facts.raise(CREATE_RISK[name] ?? 'medium');
    if (body['replace'] === true) facts.flag('replace', 'high');
  } else if (name.startsWith('Alter') || name === 'RenameStmt') {
    facts.kind('alter');
    facts.raise('high');
  } else if (name.startsWith('Drop')) {
    facts.kind('drop');
    facts.raise('high');
  } else {
    return false;
  }
  walkStatement(stmt, facts, { deferred: DEFERRED.has(name) });
  return true;
}

function analyzeDrop(body: AstRecord, facts: StatementFacts): void {
  facts.kind('drop');
  const type = str(body, 'removeType') ?? '';
  const cascade = str(body, 'behavior') === 'DROP_CASCADE';
  facts.raise(DESTRUCTIVE_DROPS.has(type) || cascade ? 'critical' : 'high');
  if (cascade) facts.flag('cascade');
  for (const object of list(body, 'objects')) {
    const u = unwrap(object);
    if (!u) continue;
    if (u[0] === 'List') facts.objects.add(stringList(list(u[1], 'items')).join('.'));
    else if (u[0] === 'String') facts.objects.add(str(u[1], 'sval') ?? '');
  }
}

function analyzeAlterTable(name: string, body: AstRecord, facts: StatementFacts): void {
  facts.kind('alter');
  facts.raise('high');
  if (name === 'AlterDomainStmt') {
    // 'X' drop constraint, 'N' drop not null.
    const subtype = str(body, 'subtype');
    if (subtype === 'X' || subtype === 'N') {
      facts.kind('alter_drop');
      facts.raise('critical');
    }
    return;
  }
  for (const cmd of list(body, 'cmds')) {
    const u = unwrap(cmd);
    if (!u || u[0] !== 'AlterTableCmd') continue;
    const subtype = str(u[1], 'subtype') ?? '';
    if (subtype.startsWith('AT_Drop')) {
      facts.kind('alter_drop');
      facts.raise('critical');
    } else if (subtype === 'AT_ChangeOwner') {
      facts.flag('role_change', 'critical');
    }
  }
}

function analyzeCreateFunction(body: AstRecord, facts: StatementFacts): void {
  facts.kind('create_function');
  facts.raise('high');
  let language = body['sql_body'] ? 'sql' : undefined;
  for (const option of list(body, 'options')) {
    const d = unwrap(option);
    if (!d || d[0] !== 'DefElem') continue;
    const arg = unwrap(d[1]['arg']);
    const defname = str(d[1], 'defname');
    if (defname === 'language' && arg?.[0] === 'String') language = (str(arg[1], 'sval') ?? '').toLowerCase();
    if (defname === 'security' && arg?.[0] === 'Boolean' && isRecord(arg[1]) && arg[1]['boolval'] === true) {
      facts.flag('security_definer', 'high');
    }
  }
  if (language === undefined || !TRUSTED_LANGUAGES.has(language)) facts.flag('untrusted_language', 'critical');
}
