/**
 * The proof that lets one classification stand for every text of a literal
 * shape (literal-shape.ts). On the first text of a shape:
 *
 * 1. every literal the shape cut out must be an `A_Const` node at that very
 *    offset in the real parser's tree, of the kind the shape names — so the
 *    parser and the shape agree on where the literals are;
 * 2. every top-level statement must be a plain SELECT / INSERT / UPDATE /
 *    DELETE, whose literals only ever become such constants;
 * 3. the analysis must never read one of those constants' values: each value
 *    is replaced by a getter that records the read, and reading the statement
 *    text or reaching the parser again (PREPARE, EXPLAIN, DO …) counts too.
 *
 * Any doubt leaves the text to be classified on its own. Two texts of one
 * shape differ only inside those literals, so they parse to the same tree
 * up to the constants' values, which the analysis proved it did not look at.
 */
import { isRecord, unwrap, type AstRecord } from './ast.js';
import type { LiteralKind, ShapeLiteral } from './literal-shape.js';
import type { ParsedStatement } from './sql-parser.js';

/** Statement kinds whose every literal becomes an `A_Const` the analysis may leave unread. */
const SHAPE_STATEMENTS = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt']);

const VALUE_KEYS = ['ival', 'fval', 'sval', 'bsval', 'boolval', 'isnull'] as const;
const KIND_KEY: Readonly<Record<LiteralKind, string>> = { I: 'ival', F: 'fval', S: 'sval' };

/** Set once anything the shape's literals could influence was read. */
export class LiteralReads {
  read = false;
}

/**
 * Installs read traps on the constants the shape cut out. False (and the
 * classification must not be shared) when a literal is not such a constant
 * or a statement is not of a kind listed above.
 */
export function trapShapeLiterals(statements: readonly ParsedStatement[], literals: readonly ShapeLiteral[], reads: LiteralReads): boolean {
  const constants = new Map<number, AstRecord[]>();
  for (const statement of statements) {
    const top = unwrap(statement.stmt);
    if (!top || !SHAPE_STATEMENTS.has(top[0])) return false;
    collectConstants(statement.stmt, constants);
  }
  for (const literal of literals) {
    const bodies = constants.get(literal.offset);
    if (!bodies) return false;
    for (const body of bodies) {
      if (!hasOnlyValueKey(body, KIND_KEY[literal.kind])) return false;
    }
  }
  for (const literal of literals) {
    for (const body of constants.get(literal.offset)!) trapValue(body, KIND_KEY[literal.kind], reads);
  }
  return true;
}

function collectConstants(root: unknown, out: Map<number, AstRecord[]>): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const child of node) stack.push(child);
      continue;
    }
    if (!isRecord(node)) continue;
    const body = node['A_Const'];
    if (isRecord(body)) {
      const location = typeof body['location'] === 'number' ? body['location'] : -1;
      const list = out.get(location);
      if (list) list.push(body);
      else out.set(location, [body]);
      continue;
    }
    for (const key in node) {
      const child = node[key];
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
}

function hasOnlyValueKey(body: AstRecord, key: string): boolean {
  if (!isRecord(body[key])) return false;
  for (const other of VALUE_KEYS) if (other !== key && other in body) return false;
  return true;
}

function trapValue(body: AstRecord, key: string, reads: LiteralReads): void {
  const value = body[key];
  Object.defineProperty(body, key, {
    enumerable: true,
    configurable: true,
    get() {
      reads.read = true;
      return value;
    },
  });
}
