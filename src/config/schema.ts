import { z } from 'zod';
import { approvalsSchema } from './sections/approvals.js';
import { identitySchema } from './sections/identity.js';
import { policySchema } from './sections/policy.js';
import { httpListenerSchema, postgresListenerSchema, shellListenerSchema } from './sections/protocols.js';
import { riskSchema } from './sections/risk.js';
import { auditSchema, controlSchema, logSchema, serverSchema } from './sections/server.js';
import { stepUpSchema } from './sections/step-up.js';
import { storeSchema } from './sections/store.js';
import { reloadSchema } from './sections/reload.js';
import { targetsSchema } from './sections/targets.js';

/** The one schema: types, defaults and error messages all come from here. */
export const configSchema = z
  .strictObject({
    server: serverSchema,
    control: controlSchema,
    log: logSchema,
    audit: auditSchema,
    identity: identitySchema,
    store: storeSchema,
    targets: targetsSchema,
    postgres: postgresListenerSchema,
    http: httpListenerSchema,
    shell: shellListenerSchema,
    policy: policySchema,
    approvals: approvalsSchema,
    step_up: stepUpSchema,
    risk: riskSchema,
    reload: reloadSchema,
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.targets.forEach((target, index) => {
      if (seen.has(target.name)) {
        ctx.addIssue({ code: 'custom', path: ['targets', index, 'name'], message: `duplicate target name "${target.name}"` });
      }
      seen.add(target.name);
    });
    const ruleIds = new Set<string>();
    config.policy.rules.forEach((rule, index) => {
      if (ruleIds.has(rule.id)) {
        ctx.addIssue({ code: 'custom', path: ['policy', 'rules', index, 'id'], message: `duplicate rule id "${rule.id}"` });
      }
      ruleIds.add(rule.id);
    });
    config.risk.bypass.forEach((rule, index) => {
      if (rule.skip_approval && rule.max_risk === 'critical' && !rule.acknowledge_critical) {
        ctx.addIssue({
          code: 'custom',
          path: ['risk', 'bypass', index, 'skip_approval'],
          message: 'this bypass would skip approval for critical actions; set acknowledge_critical: true to accept that',
        });
      }
    });
    if (config.store.kind === 'redis' && !config.store.redis) {
      ctx.addIssue({ code: 'custom', path: ['store', 'redis'], message: 'store.kind is redis but store.redis is missing' });
    }
  });

export type AirlockConfig = z.output<typeof configSchema>;
export type TargetConfig = AirlockConfig['targets'][number];
export type PostgresTargetConfig = Extract<TargetConfig, { protocol: 'postgres' }>;
export type HttpTargetConfig = Extract<TargetConfig, { protocol: 'http' }>;
export type ShellTargetConfig = Extract<TargetConfig, { protocol: 'shell' }>;
export type HttpListenerConfig = AirlockConfig['http'];
