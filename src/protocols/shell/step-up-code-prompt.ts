import { toClientError } from '../../errors.js';
import type { StepUpPrompting } from './command-gate.js';
import { summarize } from './hold-lines.js';

/** TOTP codes are digits; more than this is not one (the control API's limit). */
const MAX_CODE_LENGTH = 16;

/**
 * Airlock's own prompt for the requester's second factor while their command
 * is held for step-up. Echo is off: nothing typed is shown, and nothing of
 * it reaches bash, the recording or a log. Digits are kept, Backspace and
 * Ctrl-U edit, Enter submits through the Gate, Ctrl-C withdraws the command;
 * other keys (arrows, letters) are ignored. A refused code says why and asks
 * again; the Gate's attempt limits decide how often.
 */
export class StepUpCodePrompt {
  private code = '';
  private submitting = false;
  private closed = false;

  constructor(
    private readonly prompting: StepUpPrompting,
    private readonly write: (text: string) => void,
    private readonly withdraw: () => void,
  ) {}

  get prompt(): string {
    return `Second factor for ${summarize(this.prompting.command)}: enter the code from your authenticator: `;
  }

  start(): void {
    this.write(this.prompt);
  }

  /** The verdict arrived (confirmed here or elsewhere, denied, expired): keys are no longer read. */
  close(): void {
    this.closed = true;
    this.code = '';
  }

  key(data: string): void {
    for (const char of data) {
      if (this.closed) return;
      if (char === '\x03') {
        this.close();
        this.withdraw();
        return;
      }
      if (this.submitting) continue;
      if (char === '\r' || char === '\n') {
        this.submit();
      } else if (char === '\x7f' || char === '\b') {
        this.code = this.code.slice(0, -1);
      } else if (char === '\x15') {
        this.code = '';
      } else if (char >= '0' && char <= '9' && this.code.length < MAX_CODE_LENGTH) {
        this.code += char;
      }
    }
  }

  private submit(): void {
    const code = this.code;
    this.code = '';
    this.write('\r\n');
    if (code === '') {
      this.write(this.prompt);
      return;
    }
    this.submitting = true;
    this.prompting.confirm(code).then(
      () => {
        this.submitting = false;
        if (!this.closed) this.write('airlock: second factor accepted\r\n');
      },
      (err: unknown) => {
        this.submitting = false;
        if (this.closed) return;
        this.write(`airlock: code refused: ${toClientError(err).message}\r\n${this.prompt}`);
      },
    );
  }
}
