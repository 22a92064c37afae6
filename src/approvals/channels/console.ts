import type { Logger } from 'pino';
import type { ApprovalRecord } from '../../model/approval-record.js';
import type { ApprovalChannel, ApprovalLinks } from './channel.js';

/**
 * Announces requests in the sidecar's own log, so whoever runs it (and
 * `airlock pending --watch`) sees them with the command that decides them.
 * The command text is not repeated here: the audit log has it.
 */
export class ConsoleChannel implements ApprovalChannel {
  readonly name = 'console';

  constructor(private readonly logger: Logger) {}

  async notify(record: ApprovalRecord, links: ApprovalLinks): Promise<void> {
    this.logger.info(
      {
        approvalId: record.id,
        requester: record.requester.subject,
        target: `${record.action.protocol}/${record.action.target}`,
        risk: record.action.risk,
        rules: record.action.rules,
        eligible: record.eligible,
        reason: record.reason,
        approve: links.approveCommand,
        ...(links.url ? { url: links.url } : {}),
      },
      `approval requested: ${record.requester.subject} on ${record.action.target} needs ${record.eligible}; run \`${links.approveCommand}\``,
    );
  }

  async update(record: ApprovalRecord): Promise<void> {
    if (record.status === 'pending') {
      this.logger.info({ approvalId: record.id, votes: record.votes.length }, `approval ${record.id}: vote recorded`);
      return;
    }
    this.logger.info({ approvalId: record.id, status: record.status, by: record.resolution?.by }, `approval ${record.id}: ${record.status}`);
  }

  async close(): Promise<void> {}
}
