import type { Command } from 'commander';
import { loadConfigFile } from '../../src/config/load.js';
import { BadRequestError } from '../../src/errors.js';
import { PROTOCOLS, type Protocol } from '../../src/model/action.js';
import { defaultConfigPath } from '../support/config-path.js';
import { readStdin } from '../support/prompt.js';

interface ExplainOptions {
  protocol: string;
  config?: string;
  json?: boolean;
  sub: string;
  groups: string;
  target?: string;
}

export function registerExplain(program: Command): void {
  program
    .command('explain <command>')
    .description('Classify commands against the policy without running them. Pass - to read a JSON array of commands on stdin.')
    .requiredOption('--protocol <protocol>', `one of ${PROTOCOLS.join('|')}`)
    .option('--config <file>', 'configuration file (env AIRLOCK_CONFIG)')
    .option('--sub <subject>', 'evaluate as this subject', 'explain')
    .option('--groups <list>', 'comma-separated groups of that subject', '')
    .option('--target <name>', 'target name the rules see (default: the first target of the protocol)')
    .option('--json', 'print JSON: one object per command, or an array for -')
    .action(async (command: string, options: ExplainOptions) => {
      if (!(PROTOCOLS as readonly string[]).includes(options.protocol)) throw new BadRequestError(`--protocol must be one of ${PROTOCOLS.join('|')}`);
      const protocol = options.protocol as Protocol;
      const config = loadConfigFile(options.config ?? defaultConfigPath());
      // The parsers (libpg-query, mvdan-sh, graphql) load only for explain.
      const [{ createClassifier }, { PolicyEngine }] = await Promise.all([import('../../src/classifiers/create-classifier.js'), import('../../src/policy/policy-engine.js')]);
      const policy = new PolicyEngine(config);
      const target = options.target ?? config.targets.find((t) => t.protocol === protocol)?.name ?? 'default';
      const targetConfig = config.targets.find((t) => t.name === target);
      const classifier = await createClassifier(protocol, { cacheSize: 0, ...(targetConfig?.protocol === 'http' ? { http: { profile: targetConfig.profile, methods: targetConfig.methods } } : {}) });
      const principal = { subject: options.sub, groups: options.groups.split(',').filter(Boolean), authMethods: [], issuer: 'explain', expiresAt: 0 };
      const explain = (text: string) => {
        const classification = classifier.classify(text);
        const decision = policy.evaluate({ principal, protocol, target, classification });
        return { risk: decision.risk, requirement: decision.requirement.kind, rules: [...decision.rules], facts: classification.facts };
      };
      if (command === '-') {
        const input: unknown = JSON.parse(await readStdin());
        // HTTP requests may also be given as {method, url, headers, body} objects.
        const asText = (x: unknown): string | undefined => (typeof x === 'string' ? x : protocol === 'http' && x !== null && typeof x === 'object' ? JSON.stringify(x) : undefined);
        const commands = Array.isArray(input) ? input.map(asText) : [undefined];
        if (commands.some((c) => c === undefined)) throw new BadRequestError(`stdin must be a JSON array of command strings${protocol === 'http' ? ' or {method, url, headers, body} objects' : ''}`);
        process.stdout.write(`${JSON.stringify((commands as string[]).map(explain), null, options.json ? 2 : 0)}\n`);
        return;
      }
      const result = explain(command);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const lines = [
        `command:     ${command}`,
        `risk:        ${result.risk}`,
        `requirement: ${result.requirement}`,
        `rules:       ${result.rules.join(', ')}`,
        `kinds:       ${result.facts.kinds.join(', ') || '-'}`,
        `objects:     ${result.facts.objects.join(', ') || '-'}`,
        `flags:       ${result.facts.flags.join(', ') || '-'}`,
      ];
      // The proxy resolves functions, operators, triggers and views in each target's own catalog; offline there is none.
      if (protocol === 'postgres') lines.push('catalog:     none here: names are read as built-ins; the proxy also resolves them in the target\'s catalog (docs/postgres.md)');
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
