import { z } from 'zod';
import { RISK_LEVELS } from '../../policy/risk-level.js';
import { duration } from '../duration.js';

const timeWindow = z.strictObject({
  days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).optional(),
  start: z.string().regex(/^\d{2}:\d{2}$/, 'expected HH:MM').optional(),
  end: z.string().regex(/^\d{2}:\d{2}$/, 'expected HH:MM').optional(),
  timezone: z.string().default('UTC'),
});

export const bypassRuleSchema = z.strictObject({
  id: z.string().min(1),
  description: z.string().optional(),
  groups: z.array(z.string()).optional().describe('Requester is in any of these groups.'),
  devices: z.array(z.string()).optional().describe('Device id allow-list.'),
  networks: z.array(z.string()).optional().describe('Source CIDRs.'),
  time: timeWindow.optional(),
  max_risk: z.enum(RISK_LEVELS).default('medium').describe('Highest risk this bypass may skip step-up for.'),
  skip_approval: z.boolean().default(false).describe('Also skip approval-class requirements (needs acknowledge_critical for critical).'),
  acknowledge_critical: z.boolean().default(false).describe('Explicitly accept a bypass that skips approval for critical actions.'),
  revalidate_after: duration('8h').describe('After this long since the last verified second factor, the bypass stops until step-up again.'),
  rate_limit: z.int().min(1).default(100).describe('Bypasses per principal per hour.'),
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
