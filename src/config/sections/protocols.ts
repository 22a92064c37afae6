import { z } from 'zod';
import { duration } from '../duration.js';
import { listenAddress } from '../listen-address.js';

export const postgresListenerSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    listen: listenAddress('127.0.0.1:6432').describe('PostgreSQL listener.'),
    tls: z
      .strictObject({
        cert_file: z.string().optional(),
        key_file: z.string().optional(),
        self_signed: z.boolean().default(true).describe('Generate a self-signed certificate under data_dir when no files are given.'),
      })
      .prefault({}),
    plaintext: z.enum(['never', 'loopback', 'always']).default('loopback').describe('Where a password may be sent without TLS.'),
    max_message_bytes: z.int().min(1024).default(67_108_864).describe('Largest client message accepted.'),
    notice_interval: duration('15s').describe('How often a held statement repeats its notice.'),
    classification_cache_size: z.int().min(0).default(10_000).describe('LRU entries of statement classifications by exact text, and as many again by literal shape; 0 disables both.'),
    max_connections: z.int().min(1).default(10_000),
  })
  .prefault({});

export const httpListenerSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    listen: listenAddress('127.0.0.1:8443'),
    max_body_bytes: z.int().min(0).default(1_048_576).describe('Largest request body inspected.'),
  })
  .prefault({});

export const shellListenerSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    listen: listenAddress('127.0.0.1:8022'),
  })
  .prefault({});
