import type { Command } from 'commander';
import { controlClient, withControlOptions } from '../support/control-client.js';

interface RiskShowOptions {
  url: string;
  token?: string;
  sub?: string;
  source?: string;
  json?: boolean;
}

interface Counter {
  count: number;
  threshold: number;
  window: string;
}

interface SubjectJson {
  subject: string;
  revoked: { reason: string; expiresAt: number } | null;
  mfa_failures: Counter;
  approval_denials: Counter;
  raises: Array<{ rule: string; reason: string; until: number }>;
  new_device_sessions: Array<{ sessionId: string; deviceId: string }>;
  effect: string;
}

interface SourceJson {
  source: string;
  network: string;
  auth_failures: { address: number; network: number; threshold: number; window: string };
  blocked: { reason: string; until: number } | null;
  effect: string;
}

function human(report: SubjectJson | SourceJson): string {
  if ('subject' in report) {
    return [
      `principal ${report.subject}`,
      `  MFA failures:      ${report.mfa_failures.count} in ${report.mfa_failures.window} (raises at ${report.mfa_failures.threshold})`,
      `  approval denials:  ${report.approval_denials.count} in ${report.approval_denials.window} (raises at ${report.approval_denials.threshold})`,
      ...report.raises.map((r) => `  raised: ${r.rule}: ${r.reason} until ${new Date(r.until).toISOString()}`),
      ...report.new_device_sessions.map((s) => `  new device ${s.deviceId} in session ${s.sessionId}`),
      ...(report.revoked ? [`  REVOKED: ${report.revoked.reason}`] : []),
      `  next action: ${report.effect}`,
    ].join('\n');
  }
  return [
    `source ${report.source} (network ${report.network})`,
    `  failed logins: ${report.auth_failures.address} from this address, ${report.auth_failures.network} from the network in ${report.auth_failures.window} (blocks at ${report.auth_failures.threshold})`,
    ...(report.blocked ? [`  BLOCKED until ${new Date(report.blocked.until).toISOString()}: ${report.blocked.reason}`] : []),
    `  next connection: ${report.effect}`,
  ].join('\n');
}

async function show(options: RiskShowOptions): Promise<void> {
  if ((options.sub === undefined) === (options.source === undefined)) throw new Error('pass exactly one of --sub or --source');
  const query = options.sub !== undefined ? `sub=${encodeURIComponent(options.sub)}` : `source=${encodeURIComponent(options.source as string)}`;
  const report = await controlClient(options).get<SubjectJson | SourceJson>(`/v1/risk?${query}`);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${human(report)}\n`);
}

export function registerRiskCommands(program: Command): void {
  const risk = program.command('risk').description('Inspect the feedback loop: risk signals, raises and blocked networks (admins)');
  withControlOptions(
    risk
      .command('show')
      .description('Show current signals of a principal or a source address, and what they do to the next action')
      .addHelpText('after', '\nExamples:\n  airlock risk show --sub alice\n  airlock risk show --source 10.0.0.7 --json'),
  )
    .option('--sub <subject>', 'a principal (sub claim)')
    .option('--source <address>', 'a client IP address')
    .option('--json', 'print JSON')
    .action((options: RiskShowOptions) => show(options));
}
