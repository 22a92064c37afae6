import type { Classification } from '../../model/action.js';

/** A statement text and its classification, computed once when it is prepared. */
export interface StatementEntry {
  readonly text: string;
  readonly classification: Classification;
  /**
   * The query string that created it, as `pg_prepared_statements.statement`
   * shows it: the Parse text, or the whole query string around a SQL PREPARE.
   */
  readonly source?: string;
}

/** Something named that Airlock never saw prepared: gated as high risk (fail closed). */
export function unknownStatement(kind: 'statement' | 'portal', name: string): StatementEntry {
  return {
    text: `-- ${kind} "${name}" (not prepared through Airlock)`,
    classification: { risk: 'high', facts: { kinds: [], objects: [], flags: [`unknown_${kind}`] } },
  };
}

/**
 * The prepared statements and portals that the upstream has confirmed for a
 * session. Protocol-level Parse and SQL-level PREPARE share one namespace, as
 * they do in PostgreSQL; so do Bind and DECLARE for portals. Only
 * ProtocolState changes it, on the server's answers.
 */
export class StatementRegistry {
  readonly statements = new Map<string, StatementEntry>();
  readonly portals = new Map<string, StatementEntry>();

  /** DEALLOCATE ALL: every named statement goes; the unnamed one is not in PostgreSQL's table. */
  deallocateAll(): void {
    const unnamed = this.statements.get('');
    this.statements.clear();
    if (unnamed) this.statements.set('', unnamed);
  }
}
