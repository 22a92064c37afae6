import { str, unwrap } from './ast.js';
import type { StatementFacts } from './statement-facts.js';

/**
 * What one top-level statement does to the session's named objects that a
 * proxy must mirror: prepared statements (PREPARE, DEALLOCATE, DISCARD ALL)
 * and portals (DECLARE and CLOSE create and drop cursors, which share the
 * portal namespace with the protocol's Bind). The proxy applies the effect
 * only when the upstream confirms the statement with its CommandComplete.
 */
export type SessionEffect =
  | { readonly op: 'prepare'; readonly name: string; readonly text: string }
  | { readonly op: 'deallocate'; readonly name: string }
  | { readonly op: 'deallocate_all' }
  | { readonly op: 'discard_all' }
  | { readonly op: 'declare_cursor'; readonly name: string }
  | { readonly op: 'close_cursor'; readonly name: string }
  | { readonly op: 'close_all_cursors' };

/** The statement's effect on named session objects, if any. */
export function sessionEffectOf(stmt: unknown, facts: StatementFacts): SessionEffect | undefined {
  const u = unwrap(stmt);
  if (!u) return undefined;
  const [name, body] = u;
  switch (name) {
    case 'PrepareStmt': {
      const prepared = facts.prepare[0];
      return prepared ? { op: 'prepare', name: prepared.name, text: prepared.text } : undefined;
    }
    case 'DeallocateStmt':
      // libpg-query 18 marks DEALLOCATE ALL with isall; older trees with a missing name.
      return body['isall'] === true || str(body, 'name') === undefined ? { op: 'deallocate_all' } : { op: 'deallocate', name: str(body, 'name') as string };
    case 'DiscardStmt':
      return str(body, 'target') === 'DISCARD_ALL' ? { op: 'discard_all' } : undefined;
    case 'DeclareCursorStmt':
      return { op: 'declare_cursor', name: str(body, 'portalname') ?? '' };
    case 'ClosePortalStmt': {
      const portal = str(body, 'portalname');
      return portal === undefined ? { op: 'close_all_cursors' } : { op: 'close_cursor', name: portal };
    }
    default:
      return undefined;
  }
}

/**
 * Whether the statement may run code that Airlock did not read (a
 * user-defined function, a DO block, a procedure, dynamic SQL). Such code can
 * prepare statements or open cursors by itself, so afterwards the proxy's
 * record of named objects must be checked against the server's.
 */
export function mayRunUnseenCode(facts: StatementFacts): boolean {
  return facts.flags.has('user_function') || facts.flags.has('dynamic_sql') || facts.kinds.includes('do') || facts.kinds.includes('call');
}
