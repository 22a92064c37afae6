import { UnknownTargetError } from '../../errors.js';
import type { PostgresTargetConfig } from '../../config/schema.js';

/**
 * Picks the target a client asked for: `-c airlock.target=NAME` in
 * `options` wins, otherwise the `database` startup parameter (which libpq
 * defaults to the user name). The message is safe for unauthenticated
 * clients: it names only what they sent.
 */
export function selectTarget(
  targets: ReadonlyMap<string, PostgresTargetConfig>,
  database: string | undefined,
  optionTarget: string | undefined,
): PostgresTargetConfig {
  const name = optionTarget ?? database ?? '';
  const target = targets.get(name);
  if (!target) {
    throw new UnknownTargetError(
      name === '' ? 'no target named: connect with the target name as the database' : `target "${truncate(name)}" is not configured in Airlock`,
    );
  }
  return target;
}

function truncate(value: string): string {
  return value.length > 63 ? `${value.slice(0, 63)}...` : value;
}
