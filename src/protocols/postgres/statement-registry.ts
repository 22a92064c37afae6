import type { Classification } from '../../gate/action.js';

/** A statement text and its classification, computed once when it is prepared. */
export interface StatementEntry {
  readonly text: string;
  readonly classification: Classification;
}

/** Something named that Airlock never saw prepared: gated as high risk (fail closed). */
export function unknownStatement(kind: 'statement' | 'portal', name: string): StatementEntry {
  return {
    text: `-- ${kind} "${name}" (not prepared through Airlock)`,
    classification: { risk: 'high', facts: { kinds: [], objects: [], flags: [`unknown_${kind}`] } },
  };
}

/**
 * Per-session prepared statements and portals, so a later Bind/Execute (or
 * SQL-level EXECUTE) is gated with the text it runs at the cost of a map
 * lookup. Protocol-level Parse and SQL-level PREPARE share one namespace, as
 * they do in PostgreSQL.
 */
export class StatementRegistry {
  readonly statements = new Map<string, StatementEntry>();
  readonly portals = new Map<string, StatementEntry>();

  statement(name: string): StatementEntry | undefined {
    return this.statements.get(name);
  }

  portal(name: string): StatementEntry | undefined {
    return this.portals.get(name);
  }

  /** DEALLOCATE ALL drops every named statement. */
  deallocate(name: string): void {
    if (name.toUpperCase() === 'ALL') {
      const unnamed = this.statements.get('');
      this.statements.clear();
      if (unnamed) this.statements.set('', unnamed);
    } else {
      this.statements.delete(name);
    }
  }

  /** A simple query (or Airlock's own abort round) destroys the unnamed statement and portal. */
  forgetUnnamed(): void {
    this.statements.delete('');
    this.portals.delete('');
  }
}
