import { z } from 'zod';
import { RISK_LEVELS } from '../../model/risk-level.js';
import { recordInput } from './protocols.js';
import { PROFILE_NAMES } from '../../classifiers/http/profiles/request-profile.js';

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

const riskLevel = z.enum(RISK_LEVELS);

export const httpTargetSchema = z
  .strictObject({
    name,
    protocol: z.literal('http'),
    description: z.string().optional(),
    embedded: z.boolean().default(false).describe('Serve the built-in demo admin API (in process) instead of upstream.url.'),
    upstream: z.strictObject({
      url: z.url({ protocol: /^https?$/ }).optional().describe('Base URL of the upstream service (http or https); its path is prefixed to every forwarded path.'),
      headers: z.record(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a header name'), z.string()).default({}).describe('Headers added upstream (credentials the engineer never sees).'),
      bearer_token: z.string().min(1).optional().describe('Sent upstream as Authorization: Bearer (or bearer_token_file, e.g. a service account token).'),
      basic_auth: z
        .strictObject({ username: z.string().min(1), password: z.string().optional().describe('Or password_file.') })
        .optional()
        .describe('Sent upstream as Authorization: Basic.'),
      ca_file: z.string().optional().describe('PEM CA bundle that signs an https upstream (default: the system CAs).'),
      tls_verify: z.boolean().default(true).describe('Verify an https upstream\'s certificate and name. Off only for a demo.'),
      connect_timeout: z.int().min(100).default(5000).describe('Milliseconds.'),
      response_timeout: z.int().min(100).default(300_000).describe('Milliseconds the upstream may take to start its response.'),
    }).prefault({}),
    hosts: z.array(z.string().min(1)).default([]).describe('Host header values (without port) routed to this target.'),
    path_prefix: z
      .string()
      .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/, 'expected a path such as /es')
      .optional()
      .describe('Requests whose path starts with this prefix are routed here; the prefix is removed before forwarding.'),
    profile: z.enum(PROFILE_NAMES).default('generic').describe('What the upstream is, so requests are classified by its own verbs and objects.'),
    methods: z
      .record(z.string().regex(/^[A-Z]{1,20}$/, 'expected an upper-case method'), riskLevel)
      .default({})
      .describe('Risk by method over the defaults (GET/HEAD/OPTIONS low, POST/PUT/PATCH medium, DELETE and others high).'),
    websocket: z.boolean().default(true).describe('Allow WebSocket upgrades (gated like any request; frames then pass).'),
  })
  .superRefine((target, ctx) => {
    if (target.upstream.url === undefined && !target.embedded) ctx.addIssue({ code: 'custom', path: ['upstream', 'url'], message: 'an http target needs upstream.url (or embedded: true for the demo API)' });
    if (target.upstream.basic_auth && target.upstream.bearer_token) ctx.addIssue({ code: 'custom', path: ['upstream'], message: 'give basic_auth or bearer_token, not both' });
    if (target.hosts.length === 0 && target.path_prefix === undefined) ctx.addIssue({ code: 'custom', path: ['hosts'], message: 'an http target needs hosts or path_prefix, so requests can be routed to it' });
  });

export const shellTargetSchema = z.strictObject({
  name,
  protocol: z.literal('shell'),
  description: z.string().optional(),
  command: z.array(z.string()).min(1).default(['/bin/bash', '--noprofile', '--norc']).describe('Program started in the PTY.'),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).default({}),
  recording: z
    .strictObject({
      required: z.boolean().optional().describe('Overrides shell.recording.required for this target.'),
      record_input: recordInput.optional().describe('Overrides shell.recording.record_input for this target.'),
    })
    .prefault({}),
});

export const targetSchema = z.discriminatedUnion('protocol', [postgresTargetSchema, httpTargetSchema, shellTargetSchema]);

export const targetsSchema = z.array(targetSchema).default([]);
