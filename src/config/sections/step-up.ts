import { z } from 'zod';
import { RISK_LEVELS } from '../../model/risk-level.js';
import { duration } from '../duration.js';

export const stepUpSchema = z
  .strictObject({
    totp: z
      .strictObject({
        enabled: z.boolean().default(true),
        issuer_label: z.string().default('Airlock').describe('Issuer shown in authenticator apps.'),
        algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1'),
        digits: z.union([z.literal(6), z.literal(8)]).default(6),
        period: z.int().min(15).max(120).default(30).describe('Seconds per code.'),
        window: z.int().min(0).max(1).default(1).describe('Steps accepted before and after the current one.'),
        encryption_key: z
          .string()
          .optional()
          .describe('Base64 32-byte key encrypting TOTP secrets at rest (or encryption_key_file, or AIRLOCK_TOTP_ENCRYPTION_KEY). Generated under data_dir when absent.'),
      })
      .prefault({}),
    signing_key_file: z
      .string()
      .optional()
      .describe('Step-up token signing key (JSON, created there on first start if writable). Mount the same file on every replica so each honours the others\' tokens. Default: <data_dir>/stepup-signing-key.json.'),
    grant_ttl: duration('10m').describe('How long a verified step-up lets follow-up actions of the same session pass.'),
    grant_max_risk: z.enum(RISK_LEVELS).default('medium').describe('Highest risk a step-up grant covers.'),
    attempts: z
      .strictObject({
        per_window: z.int().min(1).default(5).describe('Code attempts allowed per user in one window.'),
        per_source_window: z
          .int()
          .min(1)
          .default(20)
          .describe('Code attempts allowed per source address in one window: higher than per user, so people behind one address (NAT, a bastion, 127.0.0.1) do not lock each other out.'),
        window: duration('1m'),
        lockout_max: duration('1h').describe('Exponential lock-out after repeated windows of failures stops growing here.'),
      })
      .prefault({}),
  })
  .prefault({});
