import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,63}$/, 'expected a name of letters, digits, _ . - (at most 63)');

const postgresUpstream = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.int().min(1).max(65535).default(5432),
  database: z.string().optional().describe('Upstream database (default: the target name).'),
  user: z.string().default('postgres').describe('Upstream role Airlock logs in as; engineers never see it.'),
  password: z.string().optional().describe('Upstream password (or password_file).'),
  tls: z.enum(['disable', 'prefer', 'require', 'verify-full']).default('disable'),
  ca_file: z.string().optional(),
  connect_timeout: z.int().min(100).default(5000).describe('Milliseconds.'),
});

const upstreamRole = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,63}$/, 'expected a name of letters, digits, _ . - (at most 63)').describe('What a client asks for as its PostgreSQL user name.'),
  user: z.string().min(1).describe('Upstream role Airlock logs in as for it.'),
  password: z.string().optional().describe('That role\'s password (or password_file).'),
  groups: z.array(z.string().min(1)).min(1).describe('Groups whose members may use it.'),
});

export const postgresTargetSchema = z
  .strictObject({
    name,
    protocol: z.literal('postgres'),
    description: z.string().optional(),
    embedded: z.boolean().default(false).describe('Serve an embedded demo database (PGlite) instead of a real upstream.'),
    upstream: postgresUpstream.prefault({}),
    roles: z
      .array(upstreamRole)
      .default([])
      .describe('Upstream roles by group: the user name a client connects with picks one its groups allow (first allowed when it names none); none allowed: refused. Empty: everyone uses upstream.user.'),
  })
  .superRefine((target, ctx) => {
    const seen = new Set<string>();
    target.roles.forEach((role, index) => {
      if (seen.has(role.name)) ctx.addIssue({ code: 'custom', path: ['roles', index, 'name'], message: `role name "${role.name}" is given twice` });
      seen.add(role.name);
    });
  });

export const httpTargetSchema = z.strictObject({
  name,
  protocol: z.literal('http'),
  description: z.string().optional(),
  upstream: z.strictObject({
    url: z.url().describe('Base URL of the upstream service.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Headers added upstream (credentials the engineer never sees).'),
  }),
  hosts: z.array(z.string()).default([]).describe('Host header values routed to this target.'),
});

export const shellTargetSchema = z.strictObject({
  name,
  protocol: z.literal('shell'),
  description: z.string().optional(),
  command: z.array(z.string()).min(1).default(['/bin/bash', '--noprofile', '--norc']).describe('Program started in the PTY.'),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).default({}),
});

export const targetSchema = z.discriminatedUnion('protocol', [postgresTargetSchema, httpTargetSchema, shellTargetSchema]);

export const targetsSchema = z.array(targetSchema).default([]);
