import type { Socket } from 'node:net';
import type { HoldNotice } from '../../gate/hold-notice.js';
import { noticeResponse } from './server-messages.js';

const SUMMARY_LENGTH = 120;

/** One line of the command for a notice: whitespace collapsed, long text cut. */
export function summarize(command: string): string {
  const line = command.replace(/\s+/g, ' ').trim();
  return line.length > SUMMARY_LENGTH ? `${line.slice(0, SUMMARY_LENGTH - 3)}...` : line;
}

export function holdMessage(notice: HoldNotice, command: string, publicUrl?: string): string {
  const url = notice.url ?? publicUrl;
  const what = notice.kind === 'step_up' ? 'held for step-up' : 'held for approval';
  const verb = notice.kind === 'step_up' ? 'confirm' : 'approve';
  const where = url ? `${verb} with \`${notice.command}\` or at ${url}` : `${verb} with \`${notice.command}\``;
  return `airlock: statement ${what} (id ${notice.approvalId}): ${summarize(command)} — ${where}`;
}

/**
 * Tells a client that its statement is held: a NoticeResponse at once (psql
 * prints it while it waits), then a short reminder every interval until the
 * verdict. Notices may arrive at any time in the protocol, so they never
 * disturb the client's state.
 */
export class HoldNotifier {
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly client: Socket,
    private readonly notice: HoldNotice,
    private readonly intervalMs: number,
  ) {}

  start(command: string, publicUrl?: string): void {
    this.client.write(
      noticeResponse({
        severity: 'NOTICE',
        code: '00000',
        message: holdMessage(this.notice, command, publicUrl),
        detail: this.notice.message,
        hint: `The statement runs once, when ${this.notice.kind === 'step_up' ? 'you confirm it with your second factor' : 'the request is approved'}. Cancel (Ctrl+C) or disconnect to withdraw it.`,
      }),
    );
    if (this.intervalMs > 0) {
      this.timer = setInterval(() => this.remind(), this.intervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private remind(): void {
    if (this.client.destroyed) return this.stop();
    const waited = Math.round((Date.now() - this.startedAt) / 1000);
    const left = Math.max(0, Math.round((this.notice.expiresAt - Date.now()) / 1000));
    this.client.write(
      noticeResponse({
        severity: 'NOTICE',
        code: '00000',
        message: `airlock: still waiting for ${this.notice.kind === 'step_up' ? 'step-up' : 'approval'} ${this.notice.approvalId} (${waited}s so far, expires in ${left}s)`,
      }),
    );
  }
}
