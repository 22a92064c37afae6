import type { Command } from 'commander';
import { verifyAuditFile, type AuditVerifyResult } from '../../src/audit/verify.js';

/** Exit codes of `airlock audit verify`. */
const EXIT_INTACT = 0;
const EXIT_BROKEN = 1;
/** Whole chains, but a crash cut a line short before a restart (records may be missing there; not tampering). */
const EXIT_TORN = 3;
/** Also what cmd/airlock.ts exits with on any commander usage error. */
const EXIT_USAGE = 2;

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('Inspect the hash-chained audit log');
  audit
    .command('verify <file>')
    .description('Check every line of an audit file: JSON, its hash, the link to the previous line and seq continuity')
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', '\nExit status: 0 intact, 1 broken (first broken line is printed), 2 usage or read error,\n3 intact except lines a crash left incomplete before a restart (each is printed).\n')
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
        for (const line of result.torn) process.stdout.write(`${file}: torn line ${line} (crash), chain resumed at ${line + 1}\n`);
      } else {
        process.stdout.write(`${file}: BROKEN at line ${result.line} (${result.reason}): ${result.message}; ${result.records} records verified before it\n`);
      }
      process.exitCode = !result.ok ? EXIT_BROKEN : result.torn.length > 0 ? EXIT_TORN : EXIT_INTACT;
    });
}
