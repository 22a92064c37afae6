import { serialize } from 'pg-protocol';
import type { ProtocolState } from './protocol-state.js';
import type { StatementEntry } from './statement-registry.js';

/**
 * The bytes of a round of Airlock's own: each statement parsed, bound,
 * executed and closed under a private name, then one Sync; the same messages
 * recorded in `state` as sent. A named statement and portal leave the
 * client's unnamed ones as they were (a simple Query would drop them).
 */
export function ownRound(state: ProtocolState, name: string, statements: readonly StatementEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of statements) {
    state.sentParse(name, entry);
    state.sentBind(name, name);
    state.sentExecute(name);
    state.sentClose(false, name);
    state.sentClose(true, name);
    parts.push(
      serialize.parse({ name, text: entry.text }),
      serialize.bind({ portal: name, statement: name }),
      serialize.execute({ portal: name }),
      serialize.close({ type: 'P', name }),
      serialize.close({ type: 'S', name }),
    );
  }
  state.sentSync();
  parts.push(serialize.sync());
  return Buffer.concat(parts);
}
