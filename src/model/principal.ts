// The verified identity behind a connection or a control API call.
export interface Principal {
  /** Stable subject (`sub` claim). */
  readonly subject: string;
  readonly email?: string;
  readonly name?: string;
  readonly groups: readonly string[];
  /** Authentication methods (`amr` claim), e.g. ["pwd", "otp"]. */
  readonly authMethods: readonly string[];
  /** Device id from the token, if the issuer sets one. */
  readonly deviceId?: string;
  /** Token id (`jti`), so one token can be revoked. */
  readonly tokenId?: string;
  readonly issuer: string;
  /** Token expiry, ms since epoch: sessions end when it passes unless refreshed. */
  readonly expiresAt: number;
}

export function isInGroup(principal: Principal, group: string): boolean {
  return principal.groups.includes(group);
}
