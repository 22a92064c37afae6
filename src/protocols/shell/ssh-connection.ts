import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import ssh2, { type AuthContext, type ClientInfo, type Connection, type PublicKeyAuthContext, type Session } from 'ssh2';
import type { ShellClassifier } from '../../classifiers/shell/index.js';
import type { ShellTargetConfig } from '../../config/schema.js';
import { AirlockError } from '../../errors.js';
import type { Gate } from '../../gate/gate.js';
import type { LiveSession, SessionRegistry } from '../../gate/session-registry.js';
import type { Principal } from '../../model/principal.js';
import { CommandGate } from './command-gate.js';
import { SessionChannel } from './session-channel.js';
import type { ShellRecordings } from './shell-recordings.js';

/** An SSH public key an engineer registered, and the principal it logs in as (re-checked by the Gate at each login). */
export interface RegisteredKey {
  /** The OpenSSH public key line. */
  readonly publicKey: string;
  readonly principal: Principal;
}

export interface PublicKeyLookup {
  /** The registration of the key with this public blob, if any and not expired. */
  find(publicBlob: Buffer): Promise<RegisteredKey | null>;
}

export interface SshConnectionContext {
  readonly targets: ReadonlyMap<string, ShellTargetConfig>;
  readonly gate: Gate;
  readonly classifier: ShellClassifier;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
  readonly noticeIntervalMs: number;
  readonly publicUrl?: string;
  /** Registered public keys (`airlock ssh-key add`); absent: only the token logs in. */
  readonly publicKeys?: PublicKeyLookup;
  readonly recordings: ShellRecordings;
}

/** Life cycle of one SSH connection. */
export const ConnectionStep = { authenticating: 'authenticating', ready: 'ready', closed: 'closed' } as const;
export type ConnectionStep = (typeof ConnectionStep)[keyof typeof ConnectionStep];

const AUTH_METHODS = ['publickey', 'password', 'keyboard-interactive'] as const;
const TOKEN_PROMPT = 'Airlock token (JWT): ';
/** JWTs are a few KiB at most; anything longer is not one. */
const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * One SSH client: the SSH user name names the target, the password (or the
 * keyboard-interactive answer) is the engineer's JWT, verified by the Gate.
 * Once in, the connection is a live session that revocation can end.
 */
export class SshConnection {
  private step: ConnectionStep = ConnectionStep.authenticating;
  private readonly id = randomUUID();
  private readonly source: string;
  private principal: Principal | null = null;
  private target: ShellTargetConfig | null = null;
  private readonly channels = new Set<SessionChannel>();
  private channelCount = 0;
  private unregister: (() => void) | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private logger: Logger;

  constructor(
    private readonly client: Connection,
    info: ClientInfo,
    private readonly ctx: SshConnectionContext,
  ) {
    this.source = info.ip;
    this.logger = ctx.logger.child({ sessionId: this.id, source: this.source });
    client.on('authentication', (auth) => this.authenticate(auth));
    client.on('ready', () => this.ready());
    client.on('session', (accept) => this.openSession(accept()));
    client.on('tcpip', (_accept, reject, info) => {
      this.refused(`port forwarding to ${info.destIP}:${info.destPort}`);
      reject();
    });
    client.on('openssh.streamlocal', (_accept, reject) => {
      this.refused('socket forwarding');
      reject();
    });
    client.on('request', (_accept, reject, name) => {
      this.refused(`global request ${name}`);
      reject?.();
    });
    client.on('error', (err: Error) => this.logger.debug({ err }, 'ssh connection error'));
    client.on('close', () => this.closed());
  }

  private authenticate(auth: AuthContext): void {
    if (this.step !== ConnectionStep.authenticating) return auth.reject();
    if (auth.method === 'password') return void this.verify(auth, auth.password);
    if (auth.method === 'publickey') return void this.verifyKey(auth);
    if (auth.method === 'keyboard-interactive') {
      auth.prompt([{ prompt: TOKEN_PROMPT, echo: false }], 'Airlock', (answers) => void this.verify(auth, answers[0] ?? ''));
      return;
    }
    auth.reject([...AUTH_METHODS]);
  }

  private async verify(auth: AuthContext, token: string): Promise<void> {
    const targetName = auth.username;
    try {
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new Error('no token');
      const principal = await this.ctx.gate.authenticate({ token: token.trim(), protocol: 'shell', target: targetName, source: this.source, sessionId: this.id });
      this.admitted(auth, principal, targetName);
    } catch (err) {
      this.logger.info({ target: targetName, code: err instanceof AirlockError ? err.code : 'invalid' }, 'ssh authentication refused');
      auth.reject([...AUTH_METHODS]);
    }
  }

  private admitted(auth: AuthContext, principal: Principal, targetName: string): void {
    const target = this.ctx.targets.get(targetName);
    if (!target) {
      // Checked after the credential, so target names are not told to anyone without one.
      this.logger.warn({ subject: principal.subject, target: targetName }, 'ssh login for an unknown shell target refused');
      return auth.reject([...AUTH_METHODS]);
    }
    this.principal = principal;
    this.target = target;
    this.logger = this.logger.child({ subject: principal.subject, target: target.name });
    auth.accept();
  }

  /**
   * A registered key: the signature over the session is verified with the
   * stored public key (ssh2's parseKey/verify), then the stored principal
   * goes through the Gate's admission (expiry, revocations) as a token would.
   */
  private async verifyKey(auth: PublicKeyAuthContext): Promise<void> {
    const targetName = auth.username;
    const { gate, publicKeys } = this.ctx;
    try {
      const record = publicKeys && gate.authenticatePrincipal ? await publicKeys.find(auth.key.data) : null;
      if (!record || !gate.authenticatePrincipal) return auth.reject([...AUTH_METHODS]);
      const key = ssh2.utils.parseKey(record.publicKey);
      if (key instanceof Error || Array.isArray(key)) return auth.reject([...AUTH_METHODS]);
      const blob = key.getPublicSSH();
      if (blob.length !== auth.key.data.length || !timingSafeEqual(blob, auth.key.data)) return auth.reject([...AUTH_METHODS]);
      // Without a signature the client only asks whether this key would do; it signs next.
      if (!auth.signature || !auth.blob) return auth.accept();
      if (key.verify(auth.blob, auth.signature, auth.hashAlgo) !== true) {
        this.logger.warn({ target: targetName }, 'ssh public key signature invalid');
        return auth.reject([...AUTH_METHODS]);
      }
      const principal = await gate.authenticatePrincipal(record.principal, { protocol: 'shell', target: targetName, source: this.source, sessionId: this.id });
      this.admitted(auth, principal, targetName);
    } catch (err) {
      this.logger.info({ target: targetName, code: err instanceof AirlockError ? err.code : 'invalid', method: 'publickey' }, 'ssh authentication refused');
      auth.reject([...AUTH_METHODS]);
    }
  }

  private ready(): void {
    const { principal, target } = this;
    if (!principal || !target) {
      this.client.end();
      return;
    }
    this.step = ConnectionStep.ready;
    const live: LiveSession = {
      id: this.id,
      protocol: 'shell',
      target: target.name,
      principal,
      source: this.source,
      startedAt: Date.now(),
      terminate: (reason) => this.terminate(reason),
    };
    this.unregister = this.ctx.sessions.register(live);
    const remaining = principal.expiresAt - Date.now();
    if (Number.isFinite(remaining)) {
      this.expiryTimer = setTimeout(() => this.terminate('your token expired; reconnect with a fresh one'), Math.max(0, remaining));
      this.expiryTimer.unref();
    }
    this.logger.info('shell session started');
  }

  private openSession(session: Session): void {
    const { principal, target } = this;
    if (!principal || !target || this.step !== ConnectionStep.ready) return;
    const gate = new CommandGate({
      gate: this.ctx.gate,
      classifier: this.ctx.classifier,
      principal,
      target: target.name,
      sessionId: this.id,
      source: this.source,
      logger: this.logger,
      noticeIntervalMs: this.ctx.noticeIntervalMs,
      ...(this.ctx.publicUrl ? { publicUrl: this.ctx.publicUrl } : {}),
    });
    const { recordings } = this.ctx;
    const channelNumber = ++this.channelCount;
    const channel = new SessionChannel({
      session,
      target,
      gate,
      classifier: this.ctx.classifier,
      logger: this.logger,
      refused: (what) => this.refused(what),
      record: (request) => recordings.start({ ...request, sessionId: this.id, channelNumber, principal, target, source: this.source }),
      recorded: (recording) => recordings.finished(recording),
    });
    this.channels.add(channel);
  }

  private refused(what: string): void {
    this.logger.warn({ subject: this.principal?.subject, refused: what }, `ssh request refused: ${what}`);
  }

  /** Revocation, token expiry or shutdown: every request is told why and stopped, then the connection closes. */
  terminate(reason: string): void {
    if (this.step === ConnectionStep.closed) return;
    for (const channel of this.channels) channel.terminate(reason);
    this.logger.info({ reason }, 'shell session terminated');
    // Let the reason and the exit status reach the client before the connection goes.
    setTimeout(() => this.client.end(), 50).unref();
    this.closedBookkeeping();
  }

  private closed(): void {
    for (const channel of this.channels) channel.terminate('the client disconnected');
    this.closedBookkeeping();
  }

  private closedBookkeeping(): void {
    this.step = ConnectionStep.closed;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    this.unregister?.();
    this.unregister = null;
  }
}
