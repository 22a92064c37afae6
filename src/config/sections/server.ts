import { z } from 'zod';
import { duration } from '../duration.js';
import { listenAddress } from '../listen-address.js';

export const serverSchema = z
  .strictObject({
    replica_id: z.string().min(1).optional().describe('Name of this replica in logs, audit and approval records (default: the host name, which is the pod name in Kubernetes).'),
    data_dir: z.string().default('.airlock').describe('Directory for the dev signing key, demo TLS certificate and local audit log.'),
    public_url: z
      .url()
      .optional()
      .describe('Base URL where people reach the control API (links in notices and channels). Defaults to the control listener.'),
    shutdown_grace: duration('30s').describe('On SIGTERM, how long running statements may finish before connections close.'),
  })
  .prefault({});

export const controlSchema = z
  .strictObject({
    listen: listenAddress('127.0.0.1:8080').describe('Control API listener (approvals, health, metrics, web page).'),
    max_body_bytes: z.int().min(1024).max(10_485_760).default(65_536).describe('Largest accepted request body.'),
    admin_groups: z.array(z.string()).default(['airlock-admins']).describe('Groups allowed to revoke, reset TOTP and read risk.'),
    web_token_form: z
      .boolean()
      .optional()
      .describe('Show the "paste your token" form on the approval pages. Default: only when no web sign-in (identity.login.web_client_id) is configured. The demo turns it on.'),
  })
  .prefault({});

export const logSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Operational log level (JSON lines on stderr).'),
  })
  .prefault({});

export const auditSchema = z
  .strictObject({
    file: z.string().optional().describe('Audit log path (hash-chained JSON lines); "-" for stdout. Default: <data_dir>/audit.log.'),
    include_allowed: z.boolean().default(true).describe('Also write a line for every allowed low-risk action (off for very high throughput).'),
    redact: z.array(z.string()).default([]).describe('Extra pino redaction paths, on top of the built-in secret paths.'),
  })
  .prefault({});
