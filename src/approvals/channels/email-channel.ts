import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createTransport, type Transporter } from 'nodemailer';
import type { EventBus } from '../../audit/events.js';
import type { Clock } from '../../time/clock.js';
import type { ApprovalRecord } from '../../model/approval-record.js';
import type { ApprovalChannel, ApprovalLinks } from './channel.js';
import { DeliveryQueue, type DeliveryStats } from './delivery-queue.js';
import { maskSecrets } from './secret-mask.js';

export interface EmailChannelConfig {
  /** SMTP host and port; `secure` is implicit TLS (465), otherwise STARTTLS when offered. */
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user?: string;
  readonly password?: string;
  readonly from: string;
  /** Who hears about approval-class requests (an approvers' list). */
  readonly to: readonly string[];
  readonly timeout: number;
  readonly retries: number;
  readonly max_queue: number;
}

export interface EmailChannelDeps {
  readonly config: EmailChannelConfig;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly registry?: Registry;
  /** First retry delay; doubles per attempt. */
  readonly backoffBaseMs?: number;
}

/**
 * Mails a summary of a new request and a link to the signed-in page. Deciding
 * never happens by link: the mail carries no token and no approve URL, only
 * the page (where sign-in is required) and the CLI commands. Approval requests
 * go to the configured list; step-up requests to the requester's own address.
 */
export class EmailChannel implements ApprovalChannel {
  readonly name = 'email';
  private readonly queue: DeliveryQueue;
  private readonly transport: Transporter;

  constructor(private readonly deps: EmailChannelDeps) {
    const c = deps.config;
    this.transport = createTransport({
      host: c.host,
      port: c.port,
      secure: c.secure,
      ...(c.user ? { auth: { user: c.user, pass: c.password ?? '' } } : {}),
      connectionTimeout: c.timeout,
      greetingTimeout: c.timeout,
      socketTimeout: c.timeout,
    });
    this.queue = new DeliveryQueue({
      channel: 'email',
      maxQueue: c.max_queue,
      logger: deps.logger,
      bus: deps.bus,
      clock: deps.clock,
      ...(deps.registry ? { registry: deps.registry } : {}),
    });
  }

  async notify(record: ApprovalRecord, links: ApprovalLinks): Promise<void> {
    const to = record.kind === 'approval' ? [...this.deps.config.to] : record.requester.email ? [record.requester.email] : [];
    if (to.length === 0) return;
    this.queue.push(record.id, 'notify', () => this.send(to, subjectOf(record), bodyOf(record, links)));
  }

  async update(): Promise<void> {
    // Mail is for the first call to action; outcomes are on the page and in the audit log.
  }

  stats(): DeliveryStats {
    return this.queue.stats();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.transport.close();
  }

  private async send(to: string[], subject: string, text: string): Promise<void> {
    const { retries, from } = this.deps.config;
    let last = 'not attempted';
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        await this.transport.sendMail({ from, to, subject, text });
        return;
      } catch (err) {
        const e = err as { responseCode?: number; message?: string };
        last = e.responseCode ? `SMTP ${e.responseCode}` : `error (${e.message ?? 'unknown'})`;
        // 5xx is permanent (unknown mailbox, policy); retrying cannot help.
        if (e.responseCode !== undefined && e.responseCode >= 500) break;
      }
      if (attempt < retries) await new Promise((r) => setTimeout(r, (this.deps.backoffBaseMs ?? 500) * 2 ** attempt));
    }
    throw new Error(`email delivery failed: ${last}`);
  }
}

function subjectOf(record: ApprovalRecord): string {
  const what = record.kind === 'approval' ? 'Approval needed' : 'Confirm your own action';
  return `[airlock] ${what}: ${record.action.protocol} on ${record.action.target} by ${record.requester.subject}`;
}

function bodyOf(record: ApprovalRecord, links: ApprovalLinks): string {
  const lines = [
    `${record.requester.subject} asked to run on ${record.action.target} (${record.action.protocol}), risk ${record.action.risk}:`,
    '',
    `    ${maskSecrets(record.action.command).replace(/\n/g, '\n    ')}`,
    '',
    ...(record.action.facts.impact ? [`Measured: ${record.action.facts.impact}`] : []),
    `Rules: ${record.action.rules.join(', ') || '-'}`,
    `Expires: ${new Date(record.expiresAt).toISOString()}`,
    '',
  ];
  if (links.url) lines.push(`Review and decide after signing in: ${links.url}`);
  if (record.kind === 'approval') lines.push(`Or from a terminal: ${links.approveCommand}  |  ${links.denyCommand}`);
  lines.push('', 'This mail never approves anything by itself; deciding needs your signed-in session.');
  return lines.join('\n');
}
