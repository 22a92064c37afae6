import type { Command } from 'commander';
import { formatApproval, type ApprovalJson } from '../support/approval-format.js';
import { controlClient, withControlOptions } from '../support/control-client.js';
import { prompt } from '../support/prompt.js';

interface ClientOptions {
  url: string;
  token?: string;
  json?: boolean;
}

function print(json: boolean | undefined, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}

async function pending(options: ClientOptions & { watch?: boolean; interval: string }): Promise<void> {
  const client = controlClient(options);
  const list = async () => (await client.get<{ approvals: ApprovalJson[] }>('/v1/approvals?status=pending')).approvals;
  if (!options.watch) {
    const approvals = await list();
    print(options.json, approvals, approvals.length === 0 ? 'no pending requests' : approvals.map(formatApproval).join('\n\n'));
    return;
  }
  const seen = new Set<string>();
  const intervalMs = Math.max(200, Number(options.interval) * 1000 || 1000);
  process.stderr.write('watching for new requests (Ctrl-C to stop)\n');
  for (;;) {
    for (const approval of await list()) {
      if (seen.has(approval.id)) continue;
      seen.add(approval.id);
      process.stdout.write(options.json ? `${JSON.stringify(approval)}\n` : `${formatApproval(approval)}\n\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function decide(id: string, decision: 'approve' | 'deny', options: ClientOptions & { reason?: string; code?: string }): Promise<void> {
  const client = controlClient(options);
  const approval = await client.get<ApprovalJson>(`/v1/approvals/${encodeURIComponent(id)}`);
  if (!options.json) process.stderr.write(`${formatApproval(approval)}\n`);
  let code = options.code;
  if (approval.mfa_required && approval.kind === 'approval' && !code) code = await prompt('your TOTP code: ');
  // The decision names the action hash that was shown, so it cannot apply to anything else.
  const body = {
    action_hash: approval.action.hash,
    ...(options.reason ? { reason: options.reason } : {}),
    ...(code ? { mfa_code: code } : {}),
  };
  const result = await client.post<ApprovalJson>(`/v1/approvals/${encodeURIComponent(id)}/${decision}`, body);
  print(options.json, result, `${decision === 'approve' ? 'approved' : 'denied'}: ${result.status}${result.progress ? ` (${result.progress})` : ''}`);
}

async function confirm(id: string, options: ClientOptions & { code?: string }): Promise<void> {
  const client = controlClient(options);
  const code = options.code ?? (await prompt('TOTP code: '));
  const result = await client.post<ApprovalJson>(`/v1/approvals/${encodeURIComponent(id)}/confirm`, { code });
  print(options.json, result, `confirmed: the held action runs now (${result.status})`);
}

export function registerApprovalCommands(program: Command): void {
  withControlOptions(program.command('pending').description('List pending approval requests you may decide'))
    .option('--watch', 'keep running and print new requests as they arrive')
    .option('--interval <seconds>', 'poll interval with --watch', '1')
    .option('--json', 'print JSON')
    .action((options) => pending(options));

  withControlOptions(program.command('approve <id>').description('Approve a held action (shows it first; binds to its hash)'))
    .option('--reason <text>', 'why you approve')
    .option('--code <totp>', 'your TOTP code, when the request asks for approver MFA')
    .option('--json', 'print JSON')
    .action((id: string, options) => decide(id, 'approve', options));

  withControlOptions(program.command('deny <id>').description('Deny a held action'))
    .requiredOption('--reason <text>', 'why you deny (shown to the requester)')
    .option('--code <totp>', 'your TOTP code, when the request asks for approver MFA')
    .option('--json', 'print JSON')
    .action((id: string, options) => decide(id, 'deny', options));

  withControlOptions(program.command('confirm <id>').description('Confirm your own held action with your second factor (step-up)'))
    .option('--code <totp>', 'TOTP code (prompted when omitted)')
    .option('--json', 'print JSON')
    .action((id: string, options) => confirm(id, options));
}
