import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { controlClient, withControlOptions } from '../support/control-client.js';

interface KeyOptions {
  url: string;
  token?: string;
  json?: boolean;
}

interface KeyView {
  fingerprint: string;
  type: string;
  comment: string;
  subject: string;
  registered_at: string;
  expires_at: string;
}

/** The keys `ssh` itself tries first, in its order. */
const DEFAULT_KEYS = ['id_ed25519.pub', 'id_ecdsa.pub', 'id_rsa.pub'];

function defaultKeyFile(): string {
  const dir = join(homedir(), '.ssh');
  const found = DEFAULT_KEYS.map((name) => join(dir, name)).find((path) => existsSync(path));
  if (!found) throw new Error(`no public key in ${dir} (${DEFAULT_KEYS.join(', ')}): name the .pub file, or create a key with ssh-keygen -t ed25519`);
  return found;
}

function line(key: KeyView): string {
  return `${key.fingerprint}  ${key.type}  ${key.comment || '-'}  expires ${key.expires_at}`;
}

export function registerSshKeyCommands(program: Command): void {
  const sshKey = program.command('ssh-key').description('Register SSH public keys, so plain ssh logs in to shell targets without a token until your sign-in expires');

  withControlOptions(
    sshKey
      .command('add [file]')
      .description('Register a public key (default ~/.ssh/id_ed25519.pub, else id_ecdsa.pub, id_rsa.pub) with your token; it works until the token expires, never longer')
      .option('--json', 'print the registration as JSON'),
  ).action(async (file: string | undefined, options: KeyOptions) => {
    const path = file ?? defaultKeyFile();
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const key = await controlClient(options).post<KeyView>('/v1/ssh-keys', { public_key: text });
    if (options.json) return void process.stdout.write(`${JSON.stringify(key, null, 2)}\n`);
    process.stdout.write(`registered ${key.fingerprint} (${key.type}${key.comment ? `, ${key.comment}` : ''}) for ${key.subject} until ${key.expires_at}\n`);
  });

  withControlOptions(sshKey.command('list').description('List your registered keys').option('--json', 'print them as JSON')).action(async (options: KeyOptions) => {
    const { keys } = await controlClient(options).get<{ keys: KeyView[] }>('/v1/ssh-keys');
    if (options.json) return void process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
    process.stdout.write(keys.length === 0 ? 'no keys registered\n' : `${keys.map(line).join('\n')}\n`);
  });

  withControlOptions(sshKey.command('remove <fingerprint>').description('Remove one of your keys (its SHA256:... fingerprint, as list shows it)').option('--json', 'print the result as JSON')).action(
    async (fingerprint: string, options: KeyOptions) => {
      const result = await controlClient(options).delete<{ removed: boolean; fingerprint: string }>(`/v1/ssh-keys/${encodeURIComponent(fingerprint)}`);
      if (options.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`removed ${result.fingerprint}\n`);
    },
  );
}
