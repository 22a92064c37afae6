import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ServedHttpTarget } from './served-target.js';

/**
 * The connection pool and fixed credentials of one upstream. Node's own http
 * client: keep-alive pooling, streaming both ways and upgrade handling are
 * what a reverse proxy needs, and it adds no layer between the two sockets.
 */
export class UpstreamClient {
  readonly url: URL;
  private readonly agent: HttpAgent;
  /** TLS options of an https upstream, for clients other than the pool (WebSocket). */
  readonly tlsOptions: { readonly rejectUnauthorized?: boolean; readonly ca?: Buffer };
  private readonly secure: boolean;
  /** Headers Airlock adds; the engineer's own credentials never pass. */
  readonly credentialHeaders: Readonly<Record<string, string>>;

  constructor(private readonly target: ServedHttpTarget) {
    this.url = new URL(target.upstream.url);
    this.secure = this.url.protocol === 'https:';
    this.tlsOptions = this.secure ? { rejectUnauthorized: target.upstream.tls_verify, ...(target.upstream.ca_file ? { ca: readFileSync(target.upstream.ca_file) } : {}) } : {};
    const options = { keepAlive: true, keepAliveMsecs: 1000, scheduling: 'lifo' as const };
    this.agent = this.secure
      ? new HttpsAgent({
          ...options,
          ...this.tlsOptions,
          servername: this.url.hostname,
        })
      : new HttpAgent(options);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(target.upstream.headers)) headers[name.toLowerCase()] = value;
    if (target.upstream.bearer_token) headers.authorization = `Bearer ${target.upstream.bearer_token}`;
    if (target.upstream.basic_auth) {
      const { username, password } = target.upstream.basic_auth;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
    }
    this.credentialHeaders = headers;
  }

  /** The WebSocket URL of a path on the upstream (`ws+unix:` for a Unix socket). */
  webSocketUrl(pathAndQuery: string): string {
    const socketPath = this.target.upstream.socket_path;
    if (socketPath) return `ws+unix://${socketPath}:${pathAndQuery}`;
    return `${this.secure ? 'wss:' : 'ws:'}//${this.url.host}${pathAndQuery}`;
  }

  /** The host:port the upstream expects in Host. */
  get hostHeader(): string {
    return this.url.host;
  }

  /** Starts a request upstream; the caller writes the body and handles the response. */
  request(method: string, path: string, headers: OutgoingHttpHeaders, onResponse: (res: IncomingMessage) => void): ClientRequest {
    const send = this.secure ? httpsRequest : httpRequest;
    const socketPath = this.target.upstream.socket_path;
    const req = send(
      {
        protocol: this.url.protocol,
        ...(socketPath ? { socketPath } : { hostname: this.url.hostname.replace(/^\[|\]$/g, ''), port: this.url.port || (this.secure ? 443 : 80) }),
        method,
        path,
        headers,
        agent: this.agent,
        // Header names and values pass exactly as they came (Node would otherwise join some duplicates).
        setHost: false,
      },
      onResponse,
    );
    // Connecting and the start of the response are bounded; a long stream (a watch) after that is not.
    const { connect_timeout: connectMs, response_timeout: responseMs } = this.target.upstream;
    const responseTimer = setTimeout(() => req.destroy(Object.assign(new Error('the upstream did not answer in time'), { code: 'ETIMEDOUT' })), responseMs);
    req.once('response', () => clearTimeout(responseTimer));
    req.once('close', () => clearTimeout(responseTimer));
    req.once('socket', (socket) => {
      if (!socket.connecting) return;
      const connectTimer = setTimeout(() => req.destroy(Object.assign(new Error('connecting to the upstream timed out'), { code: 'ECONNTIMEOUT' })), connectMs);
      socket.once('connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    return req;
  }

  close(): void {
    this.agent.destroy();
  }
}
