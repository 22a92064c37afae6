import type { Command } from 'commander';
import { controlClient, withControlOptions, type ControlClient } from '../support/control-client.js';
import { prompt } from '../support/prompt.js';

interface TotpOptions {
  url: string;
  token?: string;
  code?: string;
  json?: boolean;
}

interface EnrollResponse {
  otpauth_uri: string;
  secret: string;
  expires_at: string;
}

async function activate(client: ControlClient, options: TotpOptions): Promise<void> {
  const code = options.code ?? (await prompt('code shown by your authenticator app: '));
  await client.post('/v1/totp/activate', { code });
  process.stdout.write(options.json ? `${JSON.stringify({ activated: true })}\n` : 'second factor activated: step-up prompts will ask for its codes\n');
}

async function enroll(options: TotpOptions): Promise<void> {
  const client = controlClient(options);
  const start = await client.post<EnrollResponse>('/v1/totp/enroll', {});
  if (options.json && options.code === undefined) {
    // Scripted use: print the enrolment and leave activation to `airlock totp activate --code`.
    process.stdout.write(`${JSON.stringify({ otpauth_uri: start.otpauth_uri, secret: start.secret, expires_at: start.expires_at }, null, 2)}\n`);
    return;
  }
  if (!options.json) {
    // The QR code library loads only for enrolment, so the rest of the CLI starts without it.
    const { default: QRCode } = await import('qrcode');
    const qr = await QRCode.toString(start.otpauth_uri, { type: 'terminal', small: true });
    process.stdout.write(
      `Scan this QR code with your authenticator app (shown once):\n\n${qr}\n` +
        `or enter the secret by hand: ${start.secret}\n` +
        `otpauth URI: ${start.otpauth_uri}\n` +
        `The enrolment waits for its first code until ${start.expires_at}.\n\n`,
    );
  }
  if (options.code === undefined && !process.stdin.isTTY) {
    process.stdout.write('then run: airlock totp activate --code <code>\n');
    return;
  }
  await activate(client, options);
}

export function registerTotpCommands(program: Command): void {
  const totp = program.command('totp').description('Enrol your TOTP second factor (authenticator app) through the control API');
  withControlOptions(totp.command('enroll').description('Start an enrolment: prints a QR code, then asks for the first code to activate it'))
    .option('--code <code>', 'first code (prompted when omitted)')
    .option('--json', 'print JSON (without --code: the enrolment only, activate separately)')
    .action((options: TotpOptions) => enroll(options));
  withControlOptions(totp.command('activate').description('Activate a pending enrolment with one code from the app'))
    .option('--code <code>', 'code from the app (prompted when omitted)')
    .option('--json', 'print JSON')
    .action((options: TotpOptions) => activate(controlClient(options), options));
}
