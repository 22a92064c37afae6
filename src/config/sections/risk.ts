import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { RISK_LEVELS } from '../../model/risk-level.js';
import { duration } from '../duration.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const timeWindow = z.strictObject({
  days: z.array(z.enum(WEEKDAYS)).optional(),
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (00:00-23:59)').optional(),
  end: z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected HH:MM (00:00-24:00)').optional(),
  timezone: z.string().default('UTC').refine(isTimeZone, { message: 'unknown IANA time zone' }),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Splits "10.0.0.0/24" into a BlockList subnet; null when it is not a CIDR (or a bare address). */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
  if (!family) return null;
  const max = family === 'ipv4' ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  // BlockList throws on what it cannot take; ask it once here, at load.
  new BlockList().addSubnet(address, prefix, family);
  return { address, prefix, family };
}

export const bypassRuleSchema = z.strictObject({
  id: z.string().min(1),
  description: z.string().optional(),
  groups: z.array(z.string()).optional().describe('Requester is in any of these groups.'),
  devices: z.array(z.string()).optional().describe('Device id allow-list.'),
  networks: z
    .array(z.string().refine((v) => parseCidr(v) !== null, { message: 'expected a CIDR such as 10.0.0.0/24 or 2001:db8::/32' }))
    .optional()
    .describe('Source CIDRs.'),
  time: timeWindow.optional(),
  max_risk: z.enum(RISK_LEVELS).default('medium').describe('Highest risk this bypass may skip step-up for.'),
  skip_approval: z.boolean().default(false).describe('Also skip approval-class requirements (needs acknowledge_critical for critical).'),
  acknowledge_critical: z.boolean().default(false).describe('Explicitly accept a bypass that skips approval for critical actions.'),
  revalidate_after: duration('8h').describe('After this long since the last verified second factor, the bypass stops until step-up again.'),
  rate_limit: z.int().min(1).default(100).describe('Bypasses per principal per hour.'),
}).refine((rule) => rule.groups !== undefined || rule.devices !== undefined || rule.networks !== undefined, {
  message: 'a bypass rule needs at least one of groups, devices or networks',
});

export const riskSchema = z
  .strictObject({
    network_prefix_v4: z.int().min(8).max(32).default(24),
    network_prefix_v6: z.int().min(16).max(128).default(64),
    mfa_failures: z
      .strictObject({ threshold: z.int().min(1).default(3), window: duration('10m'), raise_for: duration('30m') })
      .prefault({})
      .describe('MFA failures of a principal that raise every requirement one level.'),
    auth_failures: z
      .strictObject({ threshold: z.int().min(1).default(20), window: duration('5m'), block_for: duration('15m') })
      .prefault({})
      .describe('Authentication failures from one source network that block it.'),
    approval_denials: z
      .strictObject({ threshold: z.int().min(1).default(3), window: duration('1h'), raise_for: duration('1h') })
      .prefault({}),
    new_device: z
      .strictObject({ raise_medium_to_step_up: z.boolean().default(true), remember_for: duration('30d') })
      .prefault({}),
    bypass: z.array(bypassRuleSchema).default([]),
    revocation_ttl: duration('30d').describe('Revocations expire after this unless lifted earlier.'),
  })
  .prefault({});

export type RiskConfig = z.output<typeof riskSchema>;
export type BypassRuleConfig = z.output<typeof bypassRuleSchema>;
