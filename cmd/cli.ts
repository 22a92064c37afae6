// The command line: every command registers itself (commands/index.ts); errors become one line and an exit code.
import { Command, CommanderError } from 'commander';
import { AirlockError } from '../src/errors.js';
import { registerCommands } from './commands/index.js';
import { ControlApiError } from './support/control-client.js';
import { exitCodeOf } from './support/exit-code.js';

const program = new Command('airlock')
  .description('Airlock: an access proxy that holds risky commands for step-up or approval.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander printed its own message (and help or version) already.
  if (!(err instanceof CommanderError)) {
    const code = err instanceof ControlApiError && err.status !== 0 ? ` (${err.code})` : '';
    process.stderr.write(`airlock: ${err instanceof Error ? err.message : String(err)}${code}\n`);
    const problems = err instanceof AirlockError ? ((err as { problems?: readonly string[] }).problems ?? []) : [];
    for (const problem of problems) process.stderr.write(`  ${problem}\n`);
  }
  process.exit(exitCodeOf(err));
}
