import type { Classification } from '../../model/action.js';
import type { CommandClassifier } from '../command-classifier.js';
import { maxRisk, type RiskLevel } from '../../model/risk-level.js';
import type { AnalysisContext } from './analysis-context.js';
import { ClassificationCache, MAX_CACHED_TEXT_LENGTH } from './classification-cache.js';
import { literalShape, type ShapeLiteral } from './literal-shape.js';
import { LiteralReads, trapShapeLiterals } from './literal-tracking.js';
import { loadSqlParser, type SqlParser } from './sql-parser.js';
import { analyzeStatement } from './statement-analysis.js';
import type { StatementFacts } from './statement-facts.js';
import type { PrepareDetail, SettingDetail } from './statement-facts.js';
import { type LexerSettingChange, mentionsPinnedSetting, pinnedSettingChanges, violatesPinnedSetting } from './lexer-settings.js';
import { type SessionEffect, mayRunUnseenCode, sessionEffectOf } from './session-effects.js';
import { type NameReferences, ReferenceSet } from './name-references.js';
import { classifyStoredCode, type StoredCode } from './stored-code.js';

export interface SqlClassifierOptions {
  /** Entries in the LRU of classifications by exact text; 0 disables it. Default 1000. */
  readonly cacheSize?: number;
}

export interface SqlClassifier extends CommandClassifier {
  readonly protocol: 'postgres';
  /** Classifies one simple-query string (one or more statements). Cached; never throws. */
  classify(sql: string): Classification;
  readonly cacheStats: { hits: number; misses: number; size: number };
  /** Classifies code stored in the database (a function body, a rule) as if it ran now; uncached. */
  classifyStored(code: StoredCode): Classification;
}

export interface SqlStatementDetail {
  readonly kind: string;
  readonly text?: string;
  /** What it does to prepared statements and cursors (applied by a proxy once the server confirms it). */
  readonly effect?: SessionEffect;
  /** Prepared statements it runs by name (EXECUTE, also inside EXPLAIN ANALYZE or CREATE TABLE AS). */
  readonly executes?: readonly string[];
  /** It may run code Airlock did not read, which can prepare statements or open cursors itself. */
  readonly unseenCode?: true;
}

/** Shape of `facts.details` for SQL. */
export interface SqlDetails {
  readonly statements: readonly SqlStatementDetail[];
  readonly settings: readonly SettingDetail[];
  readonly prepare: readonly PrepareDetail[];
  readonly execute: readonly string[];
  readonly deallocate: readonly string[];
  /** Changes to settings that alter how statements are read (refused by a proxy). */
  readonly pinned?: readonly LexerSettingChange[];
  /** Names the server resolves through its catalog; a target's catalog tells what they run (catalog-resolution.ts). */
  readonly references?: NameReferences;
}

const DEFAULT_CACHE_SIZE = 1000;
/** Nesting through DO / PREPARE / EXPLAIN / COPY beyond this is not analysed (critical). */
const MAX_DEPTH = 8;
/** Statement texts in details are for people; the command itself is in the Action. */
const MAX_DETAIL_TEXT = 1000;
/** Statement kinds whose text can carry a password. */
const SECRET_KINDS = new Set(['create_role', 'alter_role']);

export async function createSqlClassifier(options: SqlClassifierOptions = {}): Promise<SqlClassifier> {
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new TypeError('createSqlClassifier: options.cacheSize must be a non-negative integer');
  }
  const parser = await loadSqlParser();
  const exact = new ClassificationCache(cacheSize);
  // Classifications proven not to depend on their literals, by literal shape
  // (literal-shape.ts): `WHERE aid = 17` and `WHERE aid = 42` parse once.
  const shared = new ClassificationCache(cacheSize);
  let hits = 0;
  let misses = 0;
  return {
    protocol: 'postgres',
    classify(sql: string): Classification {
      const cached = exact.get(sql);
      if (cached !== undefined) {
        hits++;
        return cached;
      }
      const shape = cacheSize > 0 && typeof sql === 'string' && sql.length <= MAX_CACHED_TEXT_LENGTH ? literalShape(sql) : undefined;
      if (shape !== undefined) {
        const sharedResult = shared.get(shape.key);
        if (sharedResult !== undefined) {
          hits++;
          return sharedResult;
        }
      }
      misses++;
      const { classification, literalFree } = classifyText(parser, sql, shape?.literals);
      if (shape !== undefined && literalFree) {
        // Shared by every text of the shape, so it names none of them.
        const forShape = withoutStatementTexts(classification);
        shared.set(shape.key, forShape);
        return forShape;
      }
      exact.set(sql, classification);
      return classification;
    },
    get cacheStats() {
      return { hits, misses, size: exact.stats.size + shared.stats.size };
    },
    classifyStored(code: StoredCode): Classification {
      return classifyStoredCode(parser, code, (text) => classifySql(parser, text));
    },
  };
}

/** Uncached classification of a query string; never throws (fails closed). */
export function classifySql(parser: SqlParser, sql: string): Classification {
  return classifyText(parser, sql).classification;
}

interface TextClassification {
  readonly classification: Classification;
  /** Proven to hold for every text of the literal shape whose literals were given. */
  readonly literalFree: boolean;
}

function classifyText(parser: SqlParser, sql: string, literals?: readonly ShapeLiteral[]): TextClassification {
  if (typeof sql !== 'string') return alone(unparseable('not_text'));
  if (sql.length === 0) return alone(result('low', [], [], ['empty'], emptyDetails()));
  // The parser (a C string) stops at NUL: it would classify less than the upstream might see.
  if (sql.includes('\0')) return alone(unparseable('nul_byte'));
  let statements;
  try {
    statements = parser.parse(sql);
  } catch {
    return alone(unparseable());
  }
  if (statements.length === 0) return alone(result('low', [], [], ['empty'], emptyDetails()));
  const reads = literals !== undefined ? new LiteralReads() : undefined;
  let tracked = false;
  try {
    tracked = reads !== undefined && trapShapeLiterals(statements, literals!, reads);
  } catch {
    // Not provable: classified on its own, never shared.
  }
  try {
    let risk: RiskLevel = 'low';
    const kinds: string[] = [];
    const objects = new Set<string>();
    const flags = new Set<string>();
    const details = emptyDetails();
    const references = new ReferenceSet();
    for (const statement of statements) {
      const ctx = tracked && reads ? trackedContext(parser, statement.text, reads) : { parser, text: statement.text, depth: 0, maxDepth: MAX_DEPTH, analyze: analyzeStatement };
      const facts = analyzeStatement(statement.stmt, ctx);
      if (facts.kinds.length === 0) facts.kind('unknown');
      risk = maxRisk(risk, facts.risk);
      for (const k of facts.kinds) if (!kinds.includes(k)) kinds.push(k);
      for (const o of facts.objects) objects.add(o);
      for (const f of facts.flags) flags.add(f);
      const kind = facts.kinds[0]!;
      details.statements.push(statementDetail(kind, statement.text, statement.stmt, facts));
      details.settings.push(...facts.settings);
      details.prepare.push(...facts.prepare);
      details.execute.push(...facts.execute);
      details.deallocate.push(...facts.deallocate);
      references.absorb(facts.refs);
    }
    if (!references.empty) details.references = references.toJSON();
    if (statements.length > 1) flags.add('multi_statement');
    const pinned = pinnedChanges(sql, statements, details.settings);
    if (pinned.length > 0) {
      // Refused by the proxy whatever the policy: later statements would be read differently by the server.
      flags.add('pinned_setting');
      for (const change of pinned) flags.add(`pinned_setting:${change.name}`);
      risk = 'critical';
      details.pinned = pinned;
    }
    const actsOnSession =
      details.settings.length + details.prepare.length + details.execute.length + details.deallocate.length > 0 ||
      details.statements.some((d) => d.effect !== undefined || d.unseenCode === true) ||
      mentionsPinnedSetting(sql);
    return {
      classification: result(risk, kinds, [...objects], [...flags].sort(), details),
      literalFree: tracked && reads !== undefined && !reads.read && !actsOnSession,
    };
  } catch {
    // An internal failure (e.g. a tree too deep to walk) must not let the statement through.
    return alone(unparseable('internal'));
  }
}

function statementDetail(kind: string, text: string, stmt: unknown, facts: StatementFacts): SqlStatementDetail {
  const detail: { kind: string; text?: string; effect?: SessionEffect; executes?: readonly string[]; unseenCode?: true } = { kind };
  if (!SECRET_KINDS.has(kind)) detail.text = clip(text);
  const effect = sessionEffectOf(stmt, facts);
  if (effect) detail.effect = effect;
  if (facts.execute.length > 0) detail.executes = facts.execute.slice();
  if (mayRunUnseenCode(facts)) detail.unseenCode = true;
  return detail;
}

/** Changes to pinned settings (SET, set_config, ALTER ROLE/DATABASE/SYSTEM ... SET, a function's SET clause). */
function pinnedChanges(sql: string, statements: readonly { stmt: unknown }[], settings: readonly SettingDetail[]): LexerSettingChange[] {
  const found: LexerSettingChange[] = [];
  for (const s of settings) if (violatesPinnedSetting(s.name, s.value)) found.push({ name: s.name, value: s.value });
  if (!mentionsPinnedSetting(sql)) return found;
  for (const statement of statements) {
    for (const change of pinnedSettingChanges(statement.stmt)) {
      if (violatesPinnedSetting(change.name, change.value) && !found.some((f) => f.name === change.name && f.value === change.value)) found.push(change);
    }
  }
  return found;
}

function alone(classification: Classification): TextClassification {
  return { classification, literalFree: false };
}

/** An analysis context whose text and parser count as reading the literals (nested statements, PREPARE, DO). */
function trackedContext(parser: SqlParser, text: string, reads: LiteralReads): AnalysisContext {
  return {
    get parser() {
      reads.read = true;
      return parser;
    },
    get text() {
      reads.read = true;
      return text;
    },
    depth: 0,
    maxDepth: MAX_DEPTH,
    analyze: analyzeStatement,
  };
}

/** The same classification with only the kinds of its statements in details. */
function withoutStatementTexts(classification: Classification): Classification {
  const details = classification.facts.details as unknown as MutableDetails;
  const { kinds, objects, flags } = classification.facts;
  const shared: MutableDetails = { ...emptyDetails(), statements: details.statements.map(({ kind }) => ({ kind })) };
  if (details.references) shared.references = details.references;
  return result(classification.risk, [...kinds], [...objects], [...flags], shared);
}

interface MutableDetails {
  statements: SqlStatementDetail[];
  pinned?: LexerSettingChange[];
  references?: NameReferences;
  settings: SettingDetail[];
  prepare: PrepareDetail[];
  execute: string[];
  deallocate: string[];
}

function emptyDetails(): MutableDetails {
  return { statements: [], settings: [], prepare: [], execute: [], deallocate: [] };
}

function unparseable(reason?: string): Classification {
  const details = emptyDetails();
  return result('critical', ['unparseable'], [], ['unparseable'], reason ? { ...details, reason } : details);
}

function clip(text: string): string {
  return text.length > MAX_DETAIL_TEXT ? `${text.slice(0, MAX_DETAIL_TEXT)}…` : text;
}

function result(risk: RiskLevel, kinds: string[], objects: string[], flags: string[], details: object): Classification {
  return deepFreeze({ risk, facts: { kinds, objects, flags, details } }) as Classification;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The SQL-specific details of a classification made by this classifier (empty lists for any other). */
export function sqlDetails(classification: Classification): SqlDetails {
  const d = classification.facts.details;
  if (d && Array.isArray(d['statements']) && Array.isArray(d['settings'])) return d as unknown as SqlDetails;
  return emptyDetails();
}
