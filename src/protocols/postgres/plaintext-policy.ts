import { isIP } from 'node:net';

export type PlaintextPolicy = 'never' | 'loopback' | 'always';

/** Whether an address is on the loopback interface (127.0.0.0/8, ::1, and their IPv4-mapped forms). */
export function isLoopback(address: string): boolean {
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}

/**
 * Whether a password (the engineer's JWT) may be asked for on this
 * connection: always over TLS; without TLS only where the policy allows.
 */
export function mayAskForPassword(policy: PlaintextPolicy, encrypted: boolean, remoteAddress: string): boolean {
  if (encrypted) return true;
  switch (policy) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'loopback':
      return isLoopback(remoteAddress);
  }
}
