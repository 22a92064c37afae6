import type { Command } from 'commander';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { loadConfigFile } from '../../src/config/load.js';
import { BadRequestError, ForbiddenError } from '../../src/errors.js';
import { loadDevIssuer } from '../../src/identity/dev-issuer.js';
import { defaultConfigPath } from '../support/config-path.js';

interface TokenOptions {
  dev?: boolean;
  sub: string;
  groups?: string;
  email?: string;
  device?: string;
  ttl?: string;
  config?: string;
  json?: boolean;
}

async function printDevToken(options: TokenOptions): Promise<void> {
  if (!options.dev) {
    throw new BadRequestError('only --dev tokens can be made here; real tokens come from your identity provider');
  }
  const path = options.config ?? defaultConfigPath();
  const config = loadConfigFile(path);
  if (!config.identity.dev_issuer.enabled) {
    throw new ForbiddenError(`the dev issuer is disabled in ${path}; set identity.dev_issuer.enabled: true (demo only, never in production)`);
  }
  const ttlMs = options.ttl === undefined ? config.identity.dev_issuer.token_ttl : parseDuration(options.ttl);
  if (ttlMs === null || ttlMs <= 0) throw new BadRequestError(`--ttl: expected a duration such as 30m, 1h or 12h`);
  if (ttlMs > config.identity.max_token_age) {
    throw new BadRequestError(`--ttl ${formatDuration(ttlMs)} exceeds identity.max_token_age (${formatDuration(config.identity.max_token_age)}); such a token would be refused`);
  }
  const groups = (options.groups ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  const issuer = loadDevIssuer({ dataDir: config.server.data_dir, identity: config.identity });
  const token = await issuer.mintDevToken({
    sub: options.sub,
    groups,
    ttlMs,
    ...(options.email === undefined ? {} : { email: options.email }),
    ...(options.device === undefined ? {} : { device: options.device }),
  });
  if (options.json) {
    const expiresAt = new Date(Date.now() + ttlMs).toISOString();
    process.stdout.write(`${JSON.stringify({ token, sub: options.sub, groups, expires_at: expiresAt, kid: issuer.kid }, null, 2)}\n`);
  } else {
    process.stdout.write(`${token}\n`);
  }
}

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('Print an engineer JWT signed by the local dev issuer (demo only; needs identity.dev_issuer.enabled)')
    .option('--dev', 'sign with the local dev issuer key (<data_dir>/dev-signing-key.json)')
    .requiredOption('--sub <subject>', 'subject (user name)')
    .option('--groups <list>', 'comma-separated groups, e.g. dba,oncall')
    .option('--email <email>', 'email claim')
    .option('--device <id>', 'device id claim')
    .option('--ttl <duration>', 'lifetime, e.g. 30m or 1h (default identity.dev_issuer.token_ttl)')
    .option('--config <file>', 'configuration file (env AIRLOCK_CONFIG)')
    .option('--json', 'print { token, sub, groups, expires_at, kid } as JSON')
    .addHelpText('after', '\nExample:\n  export AIRLOCK_TOKEN=$(airlock token --dev --sub alice --groups dba)')
    .action((options: TokenOptions) => printDevToken(options));
}
