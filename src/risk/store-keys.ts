// Logical store keys of the feedback loop, in one place so every part and replica agrees.
const part = (value: string): string => encodeURIComponent(value);

export const riskKeys = {
  mfaFailures: (subject: string) => `risk:mfa-fail:${part(subject)}`,
  approvalDenials: (subject: string) => `risk:denial:${part(subject)}`,
  authFailuresOfAddress: (address: string) => `risk:auth-fail:addr:${part(address)}`,
  authFailuresOfNetwork: (network: string) => `risk:auth-fail:net:${part(network)}`,
  /** An active raise episode (JSON ActiveRaise, TTL = raise_for). */
  raise: (rule: string, subject: string) => `risk:raise:${part(rule)}:${part(subject)}`,
  /** An active network block (JSON ActiveBlock, TTL = block_for). */
  block: (network: string) => `risk:block:${part(network)}`,
  /** When a network's last block ends (ms): failures before it were paid for by that block. */
  blockEnds: (network: string) => `risk:block-ends:${part(network)}`,
  knownDevice: (subject: string, deviceId: string) => `risk:device:${part(subject)}:${part(deviceId)}`,
  /** Set of raise and block keys that may still be live; a starting replica loads them. */
  active: 'risk:active',
  /** Last verified second factor of a principal (ms), for bypass revalidation. */
  verified: (subject: string) => `risk:verified:${part(subject)}`,
  bypassRate: (rule: string, subject: string) => `risk:bypass-rate:${part(rule)}:${part(subject)}`,
  revocation: (kind: string, id: string) => `revocation:${part(kind)}:${part(id)}`,
  revocations: 'revocations:index',
} as const;

/** Pub/sub topics shared by the replicas. */
export const RISK_TOPIC = 'risk';
export const REVOCATIONS_TOPIC = 'revocations';
