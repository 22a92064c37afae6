/** What an adapter tells a client whose action is held. */
export interface HoldNotice {
  readonly approvalId: string;
  readonly kind: 'step_up' | 'approval';
  /** One-line human message: what is held, why, and where to act. */
  readonly message: string;
  /** Web page where the request can be decided or confirmed. */
  readonly url?: string;
  /** CLI command that decides or confirms it. */
  readonly command: string;
  readonly expiresAt: number;
}
