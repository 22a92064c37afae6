import type { ApprovalRecord } from '../../model/approval-record.js';

/** Where a request can be decided, given to every channel. */
export interface ApprovalLinks {
  /** Web page for the request (control API). */
  readonly url?: string;
  /** CLI command that approves it. */
  readonly approveCommand: string;
  readonly denyCommand: string;
}

/**
 * A way to tell people about a request (Slack, push, webhook, console).
 * Channels know nothing of protocols. A channel never throws into the broker:
 * failures are its own to retry, log and count.
 */
export interface ApprovalChannel {
  readonly name: string;
  /** Also told about step-up requests (for their requester); other channels hear of approval requests only. */
  readonly notifiesStepUps?: boolean;
  /** A new request was created. */
  notify(record: ApprovalRecord, links: ApprovalLinks): Promise<void>;
  /** A request changed: a vote, or its final resolution. */
  update(record: ApprovalRecord): Promise<void>;
  close(): Promise<void>;
}
