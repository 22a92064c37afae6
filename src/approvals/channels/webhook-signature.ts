import { createHmac } from 'node:crypto';

/**
 * The signature Airlock puts on webhook deliveries, which is Slack's request
 * signing scheme: `v0=` + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" +
 * body)), the timestamp in Unix seconds. Verification lives in
 * src/control/request-signature.ts.
 */
export const SIGNATURE_VERSION = 'v0';

export function signRequest(secret: string, timestamp: string | number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${SIGNATURE_VERSION}:${timestamp}:`);
  mac.update(body);
  return `${SIGNATURE_VERSION}=${mac.digest('hex')}`;
}
