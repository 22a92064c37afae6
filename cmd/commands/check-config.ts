import type { Command } from 'commander';
import { configWarnings } from '../../src/config/config-warnings.js';
import { loadConfigFile } from '../../src/config/load.js';
import { ConfigInvalidError } from '../../src/errors.js';

export function registerCheckConfig(program: Command): void {
  program
    .command('check-config <file>')
    .description('Validate a configuration file; prints every problem with its YAML path and line')
    .option('--json', 'print { ok, problems } as JSON')
    .action((file: string, options: { json?: boolean }) => {
      try {
        const config = loadConfigFile(file);
        const summary = `${file}: OK (${config.targets.length} targets, ${config.policy.rules.length} rules, store ${config.store.kind})`;
        const warnings = configWarnings(config);
        if (options.json) process.stdout.write(`${JSON.stringify({ ok: true, problems: [], warnings })}\n`);
        else process.stdout.write(`${summary}\n${warnings.map((w) => `warning: ${w}\n`).join('')}`);
      } catch (err) {
        if (!(err instanceof ConfigInvalidError)) throw err;
        const problems = err.problems.length > 0 ? err.problems : [err.message];
        if (options.json) process.stdout.write(`${JSON.stringify({ ok: false, problems })}\n`);
        else process.stderr.write(`${err.message}\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
        process.exitCode = 1;
      }
    });
}
