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
    parse_offload_chars: z.int().min(1024).default(65_536).describe('Statements at least this long are parsed on worker threads, off the event loop.'),
    parse_workers: z.int().min(1).max(16).default(1).describe('Worker threads for large statements (each holds its own parser, ~100 MB).'),
    parse_queue_chars: z.int().min(1024).default(268_435_456).describe('Characters of large statements waiting to be parsed, at most; beyond, a statement is refused (53400).'),
    parse_timeout: duration('30s').describe('A large statement not parsed in this time is refused and its worker replaced.'),
    catalog: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe('Resolve functions, operators, triggers, rules and views through each target\'s own catalog (read as the upstream user); sessions wait for it. Off: names are assumed built-in.'),
        refresh_interval: duration('2s').describe('How often each target\'s catalog is checked for changes (a cheap fingerprint query); DDL through Airlock also triggers a check.'),
      })
      .prefault({}),
  })
  .prefault({});

export const httpListenerSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    listen: listenAddress('127.0.0.1:8443'),
    tls: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Serve HTTPS on the listener.'),
        cert_file: z.string().optional(),
        key_file: z.string().optional(),
        self_signed: z.boolean().default(true).describe('Generate a self-signed certificate under data_dir when no files are given.'),
      })
      .prefault({}),
    max_body_bytes: z.int().min(0).default(1_048_576).describe('Largest request body inspected; a larger body of a request that must wait for a decision is refused (413).'),
    notice_interval: duration('15s').describe('How often a held request repeats its 102 Processing notice.'),
    max_connections: z.int().min(1).default(10_000),
    classification_cache_size: z.int().min(0).default(10_000).describe('Classifications of bodiless requests kept by shape, per target.'),
  })
  .prefault({});

/** What of a shell session's input goes into its recording. */
export const recordInput = z.enum(['lines', 'all', 'none']);

export const shellListenerSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    listen: listenAddress('127.0.0.1:8022'),
    host_key_file: z.string().optional().describe('SSH host private key (OpenSSH or PEM); default: an ed25519 key generated under data_dir on first start.'),
    notice_interval: duration('15s').describe('How often a held command repeats its waiting line.'),
    recording: z
      .strictObject({
        dir: z.string().optional().describe('Where session recordings (asciicast v2, one file per session, mode 0600) go; default: <data_dir>/recordings (mode 0700).'),
        required: z
          .boolean()
          .default(true)
          .describe('A session that cannot be recorded is refused, and one whose recording fails (disk error, buffer full) is ended. Off: a full buffer drops events and the file marks the gap; after a disk error the session goes on unrecorded (logged). A target may override it.'),
        record_input: recordInput.default('lines').describe('Input recorded: lines (the command lines Airlock checked), all (also raw keys typed while a program runs, which may include what a program reads with echo off, e.g. a sudo password), none.'),
        buffer_bytes: z.int().min(1_048_576).default(4_194_304).describe('Recording events waiting for the disk, at most; beyond, the disk is too slow (see required). At least 1 MiB, so one burst of output (64 KiB, up to 6 times that once escaped as JSON) always fits.'),
      })
      .prefault({}),
  })
  .prefault({});
