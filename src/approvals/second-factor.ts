/** Verifies a person's own second factor code; rejects with Mfa*Error or RateLimitedError. */
export interface SecondFactorVerifier {
  verify(input: { subject: string; code: string; source: string }): Promise<void>;
}
