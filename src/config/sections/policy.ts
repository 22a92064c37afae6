import { z } from 'zod';
import { RISK_LEVELS } from '../../model/risk-level.js';
import { PROTOCOLS } from '../../model/action.js';
import { duration } from '../duration.js';

const riskLevel = z.enum(RISK_LEVELS);
const stringList = z.union([z.string(), z.array(z.string()).min(1)]).transform((v) => (typeof v === 'string' ? [v] : v));

const quorumSchema = z.strictObject({
  approvers: z.string().min(1).describe('Group whose members may approve.'),
  count: z.int().min(1).max(20).default(1).describe('Distinct members of that group who must approve.'),
});

const approvalSpecSchema = z
  .strictObject({
    approvers: stringList.optional().describe('Group (or groups, any of which) whose members approve.'),
    count: z.int().min(1).max(20).optional(),
    all: z.array(quorumSchema).min(1).optional().describe('Every quorum must be met (e.g. 1 dba and 1 security).'),
    any: z.array(quorumSchema).min(1).optional().describe('One quorum suffices.'),
    timeout: duration().optional(),
    mfa: z.boolean().default(false).describe('Approvers confirm with their own TOTP code.'),
  })
  .refine((v) => [v.approvers, v.all, v.any].filter((x) => x !== undefined).length === 1, {
    message: 'name exactly one of approvers, all or any',
  })
  .refine((v) => v.count === undefined || v.approvers !== undefined, { message: 'count goes with approvers' });

export const requirementSpecSchema = z.union([
  z.enum(['allow', 'step_up', 'deny']),
  z.strictObject({ approval: approvalSpecSchema }),
  z.strictObject({ deny: z.string().min(1).describe('Reason shown to the requester.') }),
  z.strictObject({ step_up: z.strictObject({ timeout: duration().optional() }) }),
]);
export type RequirementSpec = z.output<typeof requirementSpecSchema>;

export const ruleMatchSchema = z.strictObject({
  protocols: z.array(z.enum(PROTOCOLS)).optional(),
  targets: z.array(z.string()).optional().describe('Target names (glob * allowed).'),
  groups: z.array(z.string()).optional().describe('Requester is in any of these groups.'),
  not_groups: z.array(z.string()).optional().describe('Requester is in none of these groups.'),
  kinds: z.array(z.string()).optional().describe('Any of these kinds (statement kinds, HTTP methods, shell programs).'),
  objects: z.array(z.string()).optional().describe('Any touched object matches one of these globs.'),
  flags: z.array(z.string()).optional().describe('Any of these classifier flags.'),
  risk: z.union([riskLevel, z.array(riskLevel).min(1)]).optional().describe('Current risk is one of these.'),
  min_risk: riskLevel.optional().describe('Current risk is at least this.'),
});
export type RuleMatch = z.output<typeof ruleMatchSchema>;

export const ruleSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,80}$/, 'expected an id of letters, digits, _ . : -'),
    description: z.string().optional(),
    match: ruleMatchSchema.prefault({}),
    risk: riskLevel.optional().describe('Set the risk level (later rules and defaults see it).'),
    require: requirementSpecSchema.optional().describe('Final requirement; the first matching rule with one wins.'),
    max_rows: z
      .int()
      .min(0)
      .optional()
      .describe('Writes whose row count the text does not bound are measured before they commit; more rows than this are held for approval. The first matching rule with max_rows wins.'),
  })
  .refine((r) => r.risk !== undefined || r.require !== undefined || r.max_rows !== undefined, { message: 'a rule needs risk, require or max_rows' });
export type RuleConfig = z.output<typeof ruleSchema>;

export const policySchema = z
  .strictObject({
    defaults: z
      .strictObject({
        low: requirementSpecSchema.default('allow'),
        medium: requirementSpecSchema.default('step_up'),
        high: requirementSpecSchema.default({ approval: { approvers: ['approvers'], count: 1, mfa: false } }),
        critical: requirementSpecSchema.default({ approval: { approvers: ['approvers'], count: 2, mfa: false } }),
      })
      .prefault({})
      .describe('Requirement by final risk level when no rule sets one.'),
    rules: z.array(ruleSchema).default([]).describe('Ordered rules; see docs/policy.md.'),
    max_rows: z
      .strictObject({
        low: z.int().min(0).nullable().default(1000),
        medium: z.int().min(0).nullable().default(1000),
        high: z.int().min(0).nullable().default(null),
        critical: z.int().min(0).nullable().default(null),
      })
      .prefault({})
      .describe('Rows a write may touch before it is held for approval, by risk level, when no rule sets max_rows; null: not measured. Held writes are never run before approval.'),
  })
  .prefault({});
