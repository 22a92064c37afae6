import { CommanderError } from 'commander';
import { AirlockError } from '../../src/errors.js';
import { ControlApiError } from './control-client.js';

/** The documented exit codes: 0 success, 1 refused or failed, 2 usage error. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

/**
 * How an error ends the CLI. A refusal by the server (self-approval, no
 * second factor, rate limit, a used code, an unknown request) or a server
 * that cannot be reached is a refusal or failure (1), never a usage error:
 * scripts branch on it. A command line the CLI cannot run as given is a
 * usage error (2).
 */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof ControlApiError) return err.usage ? EXIT.usage : EXIT.refused;
  if (err instanceof AirlockError) return EXIT.refused;
  return EXIT.usage;
}
