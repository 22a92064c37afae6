import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { PostgresTargetConfig } from '../../config/schema.js';
import { AirlockError, BadRequestError, toClientError } from '../../errors.js';
import { createAction } from '../../model/action.js';
import type { Principal } from '../../model/principal.js';
import { ClientCode, StartupCode } from './message-codes.js';
import { FRAME_ERROR, NEED_MORE, MessageFramer } from './message-framer.js';
import { unpinnedParameter } from './pinned-parameters.js';
import { isPrivileged, privilegeKey, readUpstreamPrivileges } from './upstream-privileges.js';
import { type UpstreamLogin, attributedApplicationName, chooseUpstreamLogin } from './upstream-role.js';
import { mayAskForPassword } from './plaintext-policy.js';
import type { ProxyContext } from './proxy-context.js';
import { ProxySession } from './proxy-session.js';
import {
  AUTHENTICATION_CLEARTEXT,
  AUTHENTICATION_OK,
  SSL_ACCEPTED,
  SSL_REFUSED,
  backendKeyData,
  errorResponse,
  negotiateProtocolVersion,
  readyForQuery,
} from './server-messages.js';
import { protocolVersion, readCancelKey, readStartupParameters } from './startup-packet.js';
import { splitStartupOptions } from './startup-options.js';
import { gatedStartupSettings } from './startup-settings.js';
import { selectTarget } from './target-selection.js';
import { connectUpstream, type UpstreamLink } from './upstream-connection.js';

/** Like PostgreSQL's authentication_timeout: a connection must be ready within this. */
const STARTUP_TIMEOUT_MS = 60_000;

/** Startup parameters Airlock never forwards (it sets user and database itself). */
const NOT_FORWARDED = new Set(['user', 'database', 'options', 'replication']);

export const ConnectionState = {
  AwaitingStartup: 'awaiting_startup',
  TlsHandshake: 'tls_handshake',
  AwaitingPassword: 'awaiting_password',
  Authenticating: 'authenticating',
  ConnectingUpstream: 'connecting_upstream',
  Ready: 'ready',
  Closed: 'closed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/**
 * One client connection from accept until it is ready: SSL/GSSENC
 * negotiation, CancelRequest, StartupMessage, target selection, the password
 * (the engineer's JWT, asked for only where the plaintext policy allows),
 * authentication through the gate and the upstream login. Then the
 * connection is handed to a ProxySession.
 */
export class ClientConnection {
  private state: ConnectionState = ConnectionState.AwaitingStartup;
  private socket: Socket;
  private readonly framer: MessageFramer;
  private encrypted = false;
  private sslAnswered = false;
  private parameters = new Map<string, string>();
  private airlockOptions: ReadonlyMap<string, string> = new Map();
  private forwardedOptions = '';
  private startupSettings: string | null = null;
  private target: PostgresTargetConfig | null = null;
  private session: ProxySession | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly sessionId = randomUUID();
  private readonly source: string;
  private readonly log: Logger;

  private readonly onData = (chunk: Buffer): void => {
    this.framer.push(chunk);
    this.advance();
  };
  private readonly onGone = (): void => this.close();
  private readonly onError = (err: Error): void => {
    this.log.debug({ err: err.message }, 'postgres client error during startup');
    this.close();
  };

  constructor(
    private readonly ctx: ProxyContext,
    socket: Socket,
    private readonly onClosed: (connection: ClientConnection) => void,
  ) {
    this.socket = socket;
    this.source = socket.remoteAddress ?? 'unknown';
    this.framer = new MessageFramer(ctx.config.max_message_bytes, false);
    this.log = ctx.logger.child({ session: this.sessionId, source: this.source });
    this.timer = setTimeout(() => this.fatal('08P01', 'airlock: the connection was not ready in time'), STARTUP_TIMEOUT_MS);
    this.timer.unref();
  }

  start(): void {
    this.socket.setNoDelay(true);
    this.attach(this.socket);
  }

  /** Between statements (or not yet a session): safe to end now on shutdown. */
  get idle(): boolean {
    return this.session === null || this.session.idle;
  }

  /** Ends the connection with FATAL 57P01 (shutdown). */
  terminate(reason: string): void {
    if (this.session) this.session.terminate(reason);
    else this.fatal('57P01', reason);
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('end', this.onGone);
    socket.on('close', this.onGone);
    socket.on('error', this.onError);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('end', this.onGone);
    socket.off('close', this.onGone);
    socket.off('error', this.onError);
  }

  private advance(): void {
    try {
      while (this.state === ConnectionState.AwaitingStartup || this.state === ConnectionState.AwaitingPassword) {
        const result = this.framer.next();
        if (result === NEED_MORE) return;
        if (result === FRAME_ERROR) {
          this.ctx.counters.protocolErrors++;
          // PostgreSQL logs an invalid startup packet length and closes without a word (a Terminate or
          // an HTTP request sent first reads as one); clients such as node-postgres expect exactly that.
          if (this.state === ConnectionState.AwaitingStartup) {
            this.log.debug({ reason: this.framer.error }, 'postgres startup packet rejected');
            return this.close();
          }
          return this.fatal(this.framer.error.includes('exceeds') ? '54000' : '08P01', `airlock: ${this.framer.error}`);
        }
        if (this.state === ConnectionState.AwaitingStartup) this.onStartupPacket();
        else this.onPassword();
      }
    } catch (err) {
      if (err instanceof BadRequestError) this.ctx.counters.protocolErrors++;
      if (err instanceof AirlockError) this.fatal(err.sqlstate, `airlock: ${err.message}`);
      else {
        this.log.error({ err }, 'postgres startup failed');
        this.fatal('XX000', 'airlock: internal error');
      }
    }
  }

  private onStartupPacket(): void {
    const { code, buffer, bodyStart, frameEnd } = this.framer;
    switch (code) {
      case StartupCode.SslRequest:
        if (this.sslAnswered) throw new BadRequestError('SSLRequest sent twice');
        this.sslAnswered = true;
        if (!this.ctx.secureContext) {
          this.socket.write(SSL_REFUSED);
          return;
        }
        // Bytes sent before the handshake would be read as if encrypted (CVE-2021-23214): refuse them.
        if (this.framer.pendingBytes > 0) throw new BadRequestError('received unencrypted data after SSL request');
        this.socket.write(SSL_ACCEPTED);
        this.upgrade();
        return;
      case StartupCode.GssEncRequest:
        this.socket.write(SSL_REFUSED);
        return;
      case StartupCode.CancelRequest:
        this.onCancelRequest(buffer, bodyStart, frameEnd);
        return;
      default:
        this.onStartupMessage(code, buffer, bodyStart, frameEnd);
    }
  }

  private upgrade(): void {
    this.state = ConnectionState.TlsHandshake;
    const raw = this.socket;
    this.detach(raw);
    raw.on('error', () => undefined);
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.ctx.secureContext as NonNullable<ProxyContext['secureContext']> });
    this.socket = secure;
    this.attach(secure);
    secure.once('secure', () => {
      if (this.state !== ConnectionState.TlsHandshake) return;
      this.encrypted = true;
      this.state = ConnectionState.AwaitingStartup;
      this.advance();
    });
  }

  private onCancelRequest(buffer: Buffer, body: number, end: number): void {
    const key = readCancelKey(buffer, body, end);
    // As PostgreSQL does: no answer either way, the connection just closes.
    if (key) this.ctx.cancelKeys.find(key.processId, key.secretKey)?.cancel();
    this.close();
  }

  private onStartupMessage(code: number, buffer: Buffer, body: number, end: number): void {
    const { major, minor } = protocolVersion(code);
    if (major !== 3) {
      return this.fatal('0A000', `airlock: unsupported frontend protocol ${major}.${minor}: Airlock supports 3.0`);
    }
    this.parameters = readStartupParameters(buffer, body, end);
    if (this.parameters.has('replication') && !/^(false|off|no|0)$/i.test(this.parameters.get('replication') ?? '')) {
      return this.fatal('0A000', 'airlock: replication connections are not supported through Airlock');
    }
    const unknownProtocolOptions = [...this.parameters.keys()].filter((name) => name.startsWith('_pq_.'));
    for (const name of unknownProtocolOptions) this.parameters.delete(name);
    if (minor > 0 || unknownProtocolOptions.length > 0) this.socket.write(negotiateProtocolVersion(0, unknownProtocolOptions));
    this.framer.typed = true;
    const options = splitStartupOptions(this.parameters.get('options'));
    if (options.unsupported.length > 0) {
      return this.fatal('0A000', `airlock: only -c name=value settings are supported in options (got ${options.unsupported[0]})`);
    }
    this.airlockOptions = options.airlock;
    this.forwardedOptions = options.forwarded;
    this.startupSettings = gatedStartupSettings(this.parameters, options);
    this.target = selectTarget(this.ctx.targets, this.parameters.get('database') ?? this.parameters.get('user'), options.airlock.get('target'));
    if (!mayAskForPassword(this.ctx.config.plaintext, this.encrypted, this.source)) {
      return this.fatal('28000', 'airlock: TLS is required for this connection (connect with sslmode=require)');
    }
    this.state = ConnectionState.AwaitingPassword;
    this.socket.write(AUTHENTICATION_CLEARTEXT);
  }

  private onPassword(): void {
    const { code, buffer, bodyStart, frameEnd } = this.framer;
    if (code !== ClientCode.Password) throw new BadRequestError(`expected a password message, got message type ${code}`);
    const nul = buffer.indexOf(0, bodyStart);
    // Exactly as sent: a token with a stray space or newline is not a token (the compact-JWS check refuses it).
    const token = buffer.toString('utf8', bodyStart, nul >= bodyStart && nul < frameEnd ? nul : frameEnd);
    this.state = ConnectionState.Authenticating;
    // Read nothing more until the session is ready (a client may not pipeline before AuthenticationOk anyway).
    this.socket.pause();
    void this.authenticate(token);
  }

  private async authenticate(token: string): Promise<void> {
    const target = this.target as PostgresTargetConfig;
    let principal: Principal;
    try {
      principal = await this.ctx.gate.authenticate({ token, protocol: 'postgres', target: target.name, source: this.source, sessionId: this.sessionId });
    } catch (err) {
      this.ctx.counters.authenticationFailures++;
      const safe = toClientError(err);
      if (safe !== err) this.log.error({ err }, 'postgres authentication failed unexpectedly');
      else this.log.info({ code: safe.code, target: target.name }, 'postgres authentication refused');
      // Drivers and tools match PostgreSQL's own wording; Airlock's reason goes in DETAIL.
      if (safe.sqlstate === '28P01') return this.fatal('28P01', `password authentication failed for user "${this.parameters.get('user') ?? ''}"`, safe.message);
      return this.fatal(safe.sqlstate, safe.message);
    }
    if (this.state !== ConnectionState.Authenticating) return;
    if (!(await this.catalogReady(target))) return;
    if (this.state !== ConnectionState.Authenticating) return;
    if (this.startupSettings !== null && !(await this.startupSettingsAllowed(principal, target, this.startupSettings))) return;
    if (this.state !== ConnectionState.Authenticating) return;
    let login: UpstreamLogin;
    try {
      login = chooseUpstreamLogin(target, this.parameters.get('user'), principal);
    } catch (err) {
      const safe = toClientError(err);
      this.log.info({ target: target.name, subject: principal.subject }, 'postgres upstream role refused');
      return this.fatal(safe.sqlstate, `airlock: ${safe.message}`);
    }
    this.state = ConnectionState.ConnectingUpstream;
    const upstreamTarget = login.user === target.upstream.user && login.password === target.upstream.password ? target : { ...target, upstream: { ...target.upstream, ...login } };
    let link: UpstreamLink;
    try {
      link = await connectUpstream({ target: upstreamTarget, parameters: this.upstreamParameters(principal), ca: await this.ctx.caFor(target), logger: this.log });
    } catch (err) {
      this.ctx.counters.upstreamFailures++;
      const safe = toClientError(err);
      if (safe !== err) this.log.error({ err }, 'postgres upstream login failed unexpectedly');
      return this.fatal(safe instanceof AirlockError && safe.sqlstate !== 'XX000' ? safe.sqlstate : '08006', safe.message);
    }
    if (this.state === ConnectionState.ConnectingUpstream) await this.checkPrivileges(link, target, login.user);
    if (this.state !== ConnectionState.ConnectingUpstream) {
      link.socket.on('error', () => undefined);
      link.socket.destroy();
      return;
    }
    this.ready(link, principal, target);
  }

  /** Statements are resolved through the target's catalog: without it read, none is classified, so none is served. */
  private async catalogReady(target: PostgresTargetConfig): Promise<boolean> {
    const catalog = this.ctx.catalogs.get(target.name);
    if (!catalog || catalog.loaded) return true;
    try {
      await catalog.ready();
      return true;
    } catch (err) {
      this.log.error({ target: target.name, err: err instanceof Error ? err.message : String(err) }, 'the target catalog could not be read; refusing the session');
      this.fatal('57P03', `airlock: the catalog of target "${target.name}" could not be read, and statements are not classified without it; try again shortly`);
      return false;
    }
  }

  /** Settings sent at startup are gated like the SET statements they amount to. */
  private async startupSettingsAllowed(principal: Principal, target: PostgresTargetConfig, command: string): Promise<boolean> {
    const classification = this.ctx.classifier.classify(command);
    if (classification.facts.flags.includes('unparseable')) {
      this.fatal('42601', 'airlock: the settings in the startup packet could not be parsed');
      return false;
    }
    const reason = this.airlockOptions.get('reason');
    const action = createAction({ principal, protocol: 'postgres', target: target.name, sessionId: this.sessionId, source: this.source, command, classification, reason });
    const verdict = await this.ctx.gate.check(action).catch((err: unknown) => {
      this.log.error({ err }, 'gate check of startup settings failed');
      return null;
    });
    if (verdict?.allowed) return true;
    const error = verdict?.error;
    this.fatal(error?.sqlstate ?? '42501', `airlock: startup settings refused: ${verdict?.reason ?? 'internal error'}`);
    return false;
  }

  private upstreamParameters(principal: Principal): Map<string, string> {
    const forwarded = new Map<string, string>();
    for (const [name, value] of this.parameters) if (!NOT_FORWARDED.has(name)) forwarded.set(name, value);
    if (this.forwardedOptions !== '') forwarded.set('options', this.forwardedOptions);
    forwarded.set('application_name', attributedApplicationName(this.parameters.get('application_name'), principal.subject));
    return forwarded;
  }

  /** Once per target and upstream role: warn when it can do more than any gate can contain. */
  private async checkPrivileges(link: UpstreamLink, target: PostgresTargetConfig, user: string): Promise<void> {
    const key = privilegeKey(target.name, user);
    if (this.ctx.privilegesChecked.has(key)) return;
    this.ctx.privilegesChecked.add(key);
    const privileges = await readUpstreamPrivileges(link);
    if (privileges === null) {
      this.ctx.privilegesChecked.delete(key);
      return;
    }
    if (!isPrivileged(privileges)) return;
    this.ctx.onPrivilegedUpstream?.(target.name, user, privileges);
    this.log.warn(
      { target: target.name, upstreamUser: user, superuser: privileges.superuser, hostRoles: privileges.hostRoles },
      'the upstream role is a superuser or reaches the host (pg_read_server_files, pg_write_server_files, pg_execute_server_program): any statement the gate misses compromises the host; use a least-privilege role (docs/postgres.md)',
    );
  }

  private ready(link: UpstreamLink, principal: Principal, target: PostgresTargetConfig): void {
    for (const [name, value] of link.parameters) {
      // A role or database default (ALTER ROLE ... SET) can start the session in a state the classifier cannot read.
      const problem = unpinnedParameter(name, value);
      if (problem === null) continue;
      this.log.error({ parameter: name, value, target: target.name }, 'the postgres upstream starts sessions with a setting Airlock cannot classify under');
      link.socket.on('error', () => undefined);
      link.socket.destroy();
      // On the record through the gate, which denies it (the policy engine refuses pinned settings) and audits it.
      const classification = { risk: 'critical' as const, facts: { kinds: ['parameter_status'], objects: [], flags: ['pinned_setting', `pinned_setting:${name.toLowerCase()}`, 'server_reported'] } };
      const action = createAction({ principal, protocol: 'postgres', target: target.name, sessionId: this.sessionId, source: this.source, command: `-- the server reported ${name} = ${value} at startup`, classification });
      this.ctx.gate.check(action).catch((err: unknown) => this.log.error({ err }, 'gate check of a startup setting failed'));
      return this.fatal('0A000', `airlock: target "${target.name}" starts sessions with ${problem}; Airlock reads statements with standard_conforming_strings on and a UTF-8 client encoding, so it refuses the session`);
    }
    clearTimeout(this.timer);
    this.state = ConnectionState.Ready;
    this.detach(this.socket);
    const session = new ProxySession({
      ctx: this.ctx,
      client: this.socket,
      clientFramer: this.framer,
      upstream: link,
      principal,
      target,
      sessionId: this.sessionId,
      source: this.source,
      reason: this.airlockOptions.get('reason'),
      logger: this.log.child({ target: target.name, subject: principal.subject }),
    });
    this.session = session;
    const key = session.cancelKey;
    this.socket.cork();
    this.socket.write(AUTHENTICATION_OK);
    for (const frame of link.startupFrames) this.socket.write(frame);
    this.socket.write(backendKeyData(key.processId, key.secretKey));
    this.socket.write(readyForQuery(link.status));
    this.socket.uncork();
    this.socket.once('close', () => this.close());
    session.start();
    this.log.info({ target: target.name, subject: principal.subject, tls: this.encrypted }, 'postgres session started');
  }

  private fatal(code: string, message: string, detail?: string): void {
    if (this.state === ConnectionState.Closed || this.state === ConnectionState.Ready) return;
    if (this.state === ConnectionState.AwaitingStartup && this.target === null) this.ctx.counters.connectionsRejected++;
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(errorResponse({ severity: 'FATAL', code, message, ...(detail !== undefined ? { detail } : {}) }));
    this.close();
  }

  close(): void {
    if (this.state === ConnectionState.Closed) return;
    const wasReady = this.state === ConnectionState.Ready;
    this.state = ConnectionState.Closed;
    clearTimeout(this.timer);
    if (wasReady) this.session?.close();
    else {
      this.detach(this.socket);
      this.socket.on('error', () => undefined);
      if (!this.socket.destroyed) {
        this.socket.end();
        const socket = this.socket;
        setTimeout(() => socket.destroy(), 2000).unref();
      }
    }
    this.onClosed(this);
  }
}
