import type { ServerResponse } from 'node:http';

/** RFC 9457 problem details: the HTTP form of every refusal Airlock makes itself. */
export interface Problem {
  /** Short stable slug (`denied`, `approval_timeout`, `bad_request`, ...). */
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** Airlock's stable error code. */
  readonly code?: string;
  readonly [extra: string]: unknown;
}

/** Writes a problem as the whole response, unless a response already started (then the connection ends). */
export function sendProblem(res: ServerResponse, problem: Problem, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent || res.writableEnded) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(problem);
  res.writeHead(problem.status, {
    ...headers,
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** The raw bytes of a problem response, for a socket that never became an HTTP response (a refused upgrade). */
export function problemBytes(problem: Problem, headers: Readonly<Record<string, string>> = {}): string {
  const body = JSON.stringify(problem);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${problem.status} ${problem.title}\r\n${extra}content-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
