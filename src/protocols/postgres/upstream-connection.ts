import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { PostgresTargetConfig } from '../../config/schema.js';
import { UpstreamError } from '../../errors.js';
import { cancelRequest, passwordMessage, saslInitialResponse, saslResponse, sslRequest, startupMessage } from './client-messages.js';
import { readErrorFields } from './error-fields.js';
import { md5PasswordResponse } from './md5-password.js';
import { AuthCode, MAX_SERVER_MESSAGE_LENGTH, ServerCode, TxStatus } from './message-codes.js';
import { FRAME_ERROR, FRAME_READY, MessageFramer } from './message-framer.js';
import { SCRAM_MECHANISM, ScramClient } from './scram-client.js';
import { readParameterStatus } from './server-messages.js';
import { connectToUpstream, isUnixSocketHost } from './upstream-address.js';

/** An authenticated upstream session, ready for queries. */
export interface UpstreamLink {
  readonly socket: Socket;
  /** Holds any bytes the upstream sent after its first ReadyForQuery. */
  readonly framer: MessageFramer;
  /** ParameterStatus and NoticeResponse frames of the startup, to relay as they are. */
  readonly startupFrames: readonly Buffer[];
  /** The ParameterStatus values the server reported at startup. */
  readonly parameters: ReadonlyMap<string, string>;
  readonly processId: number;
  readonly secretKey: number;
  readonly status: number;
}

export interface UpstreamOptions {
  readonly target: PostgresTargetConfig;
  /** Startup parameters other than user and database (already stripped of airlock.*). */
  readonly parameters: ReadonlyMap<string, string>;
  /** PEM of `upstream.ca_file`, loaded once by the caller. */
  readonly ca?: string;
  readonly logger: Logger;
}

const HandshakeStep = {
  Connecting: 'connecting',
  NegotiatingTls: 'negotiating_tls',
  Authenticating: 'authenticating',
  Starting: 'starting',
  Done: 'done',
  Failed: 'failed',
} as const;
type HandshakeStep = (typeof HandshakeStep)[keyof typeof HandshakeStep];

function ignoreError(): void {}

/** Opens, encrypts (as configured) and authenticates a connection to a target's upstream. */
export function connectUpstream(options: UpstreamOptions): Promise<UpstreamLink> {
  return new UpstreamHandshake(options).run();
}

class UpstreamHandshake {
  private step: HandshakeStep = HandshakeStep.Connecting;
  private socket!: Socket;
  private readonly framer = new MessageFramer(MAX_SERVER_MESSAGE_LENGTH, true);
  private readonly startupFrames: Buffer[] = [];
  private readonly parameters = new Map<string, string>();
  private processId = 0;
  private secretKey = 0;
  private scram: ScramClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private resolve!: (link: UpstreamLink) => void;
  private reject!: (err: Error) => void;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onClose = (): void => this.fail('the upstream closed the connection during startup');
  private readonly onError = (err: Error): void => this.fail(`upstream socket error: ${err.message}`);

  constructor(private readonly options: UpstreamOptions) {}

  run(): Promise<UpstreamLink> {
    const { upstream } = this.options.target;
    const promise = new Promise<UpstreamLink>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.timer = setTimeout(() => this.fail(`no answer within ${upstream.connect_timeout} ms`), upstream.connect_timeout);
    this.socket = connectToUpstream(upstream.host, upstream.port);
    this.socket.setNoDelay(true);
    this.attach(this.socket);
    this.socket.once('connect', () => {
      // No TLS over a Unix-domain socket (PostgreSQL refuses SSLRequest there too).
      if (upstream.tls === 'disable' || isUnixSocketHost(upstream.host)) this.startup();
      else {
        this.step = HandshakeStep.NegotiatingTls;
        this.socket.write(sslRequest());
      }
    });
    return promise;
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('close', this.onClose);
    socket.off('error', this.onError);
  }

  private startup(): void {
    const { target, parameters } = this.options;
    const all = new Map<string, string>([
      ['user', target.upstream.user],
      ['database', target.upstream.database ?? target.name],
    ]);
    for (const [name, value] of parameters) if (name !== 'user' && name !== 'database') all.set(name, value);
    this.step = HandshakeStep.Authenticating;
    this.socket.write(startupMessage(all));
  }

  private receive(chunk: Buffer): void {
    if (this.step === HandshakeStep.NegotiatingTls) {
      this.answerSsl(chunk);
      return;
    }
    this.framer.push(chunk);
    for (;;) {
      if (this.step === HandshakeStep.Done || this.step === HandshakeStep.Failed) return;
      const result = this.framer.next();
      if (result === FRAME_ERROR) return this.fail(`malformed upstream message: ${this.framer.error}`);
      if (result !== FRAME_READY) return;
      this.handle(this.framer.code, this.framer.buffer, this.framer.bodyStart, this.framer.frameEnd, this.framer.frameStart);
    }
  }

  private answerSsl(chunk: Buffer): void {
    const { upstream } = this.options.target;
    // Bytes after the one-byte answer would be unencrypted data injected
    // before the handshake (CVE-2021-23222): refuse them.
    if (chunk.length !== 1) return this.fail('unexpected data after the SSL answer');
    if (chunk[0] === 0x4e /* N */) {
      if (upstream.tls === 'prefer') return this.startup();
      return this.fail('the upstream does not support TLS but the target requires it');
    }
    if (chunk[0] !== 0x53 /* S */) return this.fail('unexpected answer to SSLRequest');
    this.detach(this.socket);
    const tlsOptions: ConnectionOptions = {
      socket: this.socket,
      rejectUnauthorized: upstream.tls === 'verify-full' || this.options.ca !== undefined,
      ...(this.options.ca !== undefined ? { ca: this.options.ca } : {}),
      ...(isIP(upstream.host) === 0 ? { servername: upstream.host } : {}),
    };
    // require + ca_file verifies the chain but not the host name (libpq's verify-ca).
    if (upstream.tls !== 'verify-full') tlsOptions.checkServerIdentity = () => undefined;
    const secure = tlsConnect(tlsOptions);
    secure.setNoDelay(true);
    this.socket.on('error', () => undefined);
    this.socket = secure;
    this.attach(secure);
    secure.once('secureConnect', () => this.startup());
  }

  private handle(code: number, buffer: Buffer, body: number, end: number, start: number): void {
    switch (code) {
      case ServerCode.Authentication:
        void this.authenticate(buffer, body, end);
        return;
      case ServerCode.ParameterStatus: {
        const { name, value } = readParameterStatus(buffer, body, end);
        this.parameters.set(name, value);
        this.startupFrames.push(buffer.subarray(start, end));
        return;
      }
      case ServerCode.NoticeResponse:
        this.startupFrames.push(buffer.subarray(start, end));
        return;
      case ServerCode.BackendKeyData:
        if (end - body >= 8) {
          this.processId = buffer.readInt32BE(body);
          this.secretKey = buffer.readInt32BE(body + 4);
        }
        return;
      case ServerCode.NegotiateProtocolVersion:
        return;
      case ServerCode.ErrorResponse: {
        const fields = readErrorFields(buffer, body, end);
        return this.fail(`upstream refused: ${fields.get('M') ?? 'unknown error'}`, fields.get('C'));
      }
      case ServerCode.ReadyForQuery:
        return this.finish(end - body >= 1 ? (buffer[body] as number) : TxStatus.Idle);
      default:
        return this.fail(`unexpected upstream message ${String.fromCharCode(code)} during startup`);
    }
  }

  private async authenticate(buffer: Buffer, body: number, end: number): Promise<void> {
    const { upstream } = this.options.target;
    const kind = end - body >= 4 ? buffer.readInt32BE(body) : -1;
    const password = upstream.password;
    try {
      switch (kind) {
        case AuthCode.Ok:
          this.step = HandshakeStep.Starting;
          return;
        case AuthCode.CleartextPassword:
          if (password === undefined) return this.fail('the upstream asks for a password and none is configured');
          this.socket.write(passwordMessage(password));
          return;
        case AuthCode.Md5Password:
          if (password === undefined) return this.fail('the upstream asks for a password and none is configured');
          this.socket.write(passwordMessage(md5PasswordResponse(upstream.user, password, buffer.subarray(body + 4, body + 8))));
          return;
        case AuthCode.Sasl: {
          if (password === undefined) return this.fail('the upstream asks for a password and none is configured');
          const mechanisms = buffer.toString('utf8', body + 4, end).split('\0');
          if (!mechanisms.includes(SCRAM_MECHANISM)) return this.fail(`no supported SASL mechanism among ${mechanisms.filter(Boolean).join(', ')}`);
          this.scram = new ScramClient(password);
          this.socket.write(saslInitialResponse(SCRAM_MECHANISM, this.scram.clientFirst()));
          return;
        }
        case AuthCode.SaslContinue: {
          if (!this.scram) return this.fail('SASL continue without a SASL exchange');
          const final = await this.scram.clientFinal(buffer.toString('utf8', body + 4, end));
          if (this.step === HandshakeStep.Authenticating) this.socket.write(saslResponse(final));
          return;
        }
        case AuthCode.SaslFinal:
          if (!this.scram) return this.fail('SASL final without a SASL exchange');
          this.scram.verifyServerFinal(buffer.toString('utf8', body + 4, end));
          return;
        default:
          return this.fail(`unsupported upstream authentication method ${kind}`);
      }
    } catch (err) {
      this.fail((err as Error).message);
    }
  }

  private finish(status: number): void {
    if (this.step === HandshakeStep.Done || this.step === HandshakeStep.Failed) return;
    this.step = HandshakeStep.Done;
    if (this.timer) clearTimeout(this.timer);
    this.detach(this.socket);
    // Until the session attaches its own handlers, an error must not go unheard.
    this.socket.on('error', ignoreError);
    this.socket.pause();
    this.resolve({
      socket: this.socket,
      framer: this.framer,
      startupFrames: this.startupFrames,
      parameters: this.parameters,
      processId: this.processId,
      secretKey: this.secretKey,
      status,
    });
  }

  private fail(why: string, sqlstate?: string): void {
    if (this.step === HandshakeStep.Done || this.step === HandshakeStep.Failed) return;
    this.step = HandshakeStep.Failed;
    if (this.timer) clearTimeout(this.timer);
    this.detach(this.socket);
    this.socket.on('error', () => undefined);
    this.socket.destroy();
    const { target } = this.options;
    // The log may say why; the client only learns which target failed.
    this.options.logger.warn({ target: target.name, why, sqlstate }, 'postgres upstream connection failed');
    const suffix = sqlstate ? ` (upstream SQLSTATE ${sqlstate})` : '';
    this.reject(new UpstreamError(`airlock could not connect to target "${target.name}"${suffix}`));
  }
}

/** Forwards a client's cancel to the upstream over a short-lived connection, as libpq does (never encrypted). */
export function sendUpstreamCancel(target: PostgresTargetConfig, processId: number, secretKey: number, logger: Logger): void {
  const socket = connectToUpstream(target.upstream.host, target.upstream.port);
  socket.setNoDelay(true);
  socket.setTimeout(target.upstream.connect_timeout, () => socket.destroy());
  socket.on('error', (err) => logger.debug({ target: target.name, err: err.message }, 'postgres upstream cancel failed'));
  socket.once('connect', () => socket.end(cancelRequest(processId, secretKey)));
  socket.on('data', () => undefined);
}
