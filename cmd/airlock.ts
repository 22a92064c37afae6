#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { AirlockError } from '../src/errors.js';
import { registerCommands } from './commands/index.js';

const program = new Command('airlock')
  .description('Airlock: an access proxy that holds risky commands for step-up or approval.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Help and version exit 0; any other commander error is a usage error.
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  if (err instanceof AirlockError) {
    process.stderr.write(`airlock: ${err.message}\n`);
    const problems = (err as { problems?: readonly string[] }).problems ?? [];
    for (const problem of problems) process.stderr.write(`  ${problem}\n`);
    process.exit(1);
  }
  process.stderr.write(`airlock: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
