import type { Command } from 'commander';
import { describeDiff, diffConfigs, reloadRefusals } from '../../src/config/config-diff.js';
import { configWarnings } from '../../src/config/config-warnings.js';
import { loadConfigFile } from '../../src/config/load.js';
import { ConfigInvalidError } from '../../src/errors.js';

function reportInvalid(err: unknown, json: boolean | undefined): void {
  if (!(err instanceof ConfigInvalidError)) throw err;
  const problems = err.problems.length > 0 ? err.problems : [err.message];
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, problems })}\n`);
  else process.stderr.write(`${err.message}\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exitCode = 1;
}

/** `check-config --diff OLD NEW`: what reloading NEW over OLD would change, and whether it would be refused. */
function diffCommand(oldFile: string, newFile: string, json: boolean | undefined): void {
  const before = loadConfigFile(oldFile);
  const after = loadConfigFile(newFile);
  const diff = diffConfigs(before, after);
  const refusals = reloadRefusals(before, after, diff);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: refusals.length === 0, diff, refusals })}\n`);
  } else {
    const lines = describeDiff(diff);
    process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : 'no changes\n');
    if (refusals.length > 0) process.stdout.write(`a reload would be REFUSED: ${refusals.join('; ')}\n`);
    else process.stdout.write('a reload would be accepted\n');
  }
  if (refusals.length > 0) process.exitCode = 1;
}

export function registerCheckConfig(program: Command): void {
  program
    .command('check-config <file> [new-file]')
    .description('Validate a configuration file; prints every problem with its YAML path and line. With --diff OLD NEW: what a reload would change')
    .option('--json', 'print the result as JSON ({ ok, problems, warnings }, or { ok, diff, refusals } with --diff)')
    .option('--diff', 'compare two files: what reloading the second over the first would change; exit 1 if the reload would be refused')
    .addHelpText('after', '\nExit status: 0 valid (or an accepted reload), 1 invalid (or a refused reload).\n')
    .action((file: string, newFile: string | undefined, options: { json?: boolean; diff?: boolean }) => {
      try {
        if (options.diff) {
          if (!newFile) throw new ConfigInvalidError('check-config --diff needs two files', ['usage: airlock check-config --diff OLD NEW']);
          return diffCommand(file, newFile, options.json);
        }
        const config = loadConfigFile(file);
        const summary = `${file}: OK (${config.targets.length} targets, ${config.policy.rules.length} rules, store ${config.store.kind})`;
        const warnings = configWarnings(config);
        if (options.json) process.stdout.write(`${JSON.stringify({ ok: true, problems: [], warnings })}\n`);
        else process.stdout.write(`${summary}\n${warnings.map((w) => `warning: ${w}\n`).join('')}`);
      } catch (err) {
        reportInvalid(err, options.json);
      }
    });
}
