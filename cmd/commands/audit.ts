import { Command, CommanderError } from 'commander';
import { verifyAuditFile, type AuditVerifyResult } from '../../src/audit/verify.js';

/** Exit codes of `airlock audit verify`. */
const EXIT_INTACT = 0;
const EXIT_BROKEN = 1;
const EXIT_USAGE = 2;

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('Inspect the hash-chained audit log');
  const verify = audit
    .command('verify <file>')
    .description('Check every line of an audit file: JSON, its hash, the link to the previous line and seq continuity')
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', '\nExit status: 0 intact, 1 broken (first broken line is printed), 2 usage or read error.')
    .action(async (file: string, options: { json?: boolean }) => {
      let result: AuditVerifyResult;
      try {
        result = await verifyAuditFile(file);
      } catch (err) {
        const message = `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`;
        if (options.json) process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
        else process.stderr.write(`airlock: ${message}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      if (options.json) process.stdout.write(`${JSON.stringify({ file, ...result })}\n`);
      else if (result.ok) {
        const segments = result.segments > 1 ? ` in ${result.segments} segments` : '';
        process.stdout.write(`${file}: OK, ${result.records} records${segments}, last seq ${result.lastSeq} hash ${result.lastHash}\n`);
      } else {
        process.stdout.write(`${file}: BROKEN at line ${result.line} (${result.reason}): ${result.message}; ${result.records} records verified before it\n`);
      }
      process.exitCode = result.ok ? EXIT_INTACT : EXIT_BROKEN;
    });
  // Usage errors exit 2 so scripts can tell them from a broken chain (1).
  for (const command of [audit, verify]) {
    command.exitOverride((err) => {
      if (err.exitCode === 0) throw err;
      throw new CommanderError(EXIT_USAGE, err.code, err.message);
    });
  }
}
