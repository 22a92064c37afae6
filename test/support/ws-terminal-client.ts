import { WebSocket } from 'ws';

/** What a raw WebSocket terminal client saw: stdout bytes, stderr bytes, the exit message and the close frame. */
export class RawTerminal {
  stdout = '';
  stderr = '';
  notices: string[] = [];
  exit: { code?: number; signal?: string } | null = null;
  closed: { code: number; reason: string } | null = null;
  readonly done: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.stdout += data.toString('utf8');
        return;
      }
      const message = JSON.parse(data.toString('utf8')) as { type: string; data?: string; text?: string; code?: number; signal?: string };
      if (message.type === 'stderr') this.stderr += Buffer.from(message.data ?? '', 'base64').toString('utf8');
      if (message.type === 'notice') this.notices.push(message.text ?? '');
      if (message.type === 'exit') this.exit = { ...(message.code !== undefined ? { code: message.code } : {}), ...(message.signal ? { signal: message.signal } : {}) };
    });
    this.done = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString('utf8') };
        resolve(this.closed);
      });
    });
    ws.on('error', () => undefined);
  }

  /** Opens `/v1/shell/<target>` on the control URL; rejects with the HTTP status when the upgrade is refused. */
  static open(controlUrl: string, target: string, headers: Record<string, string>, protocols: string[] = ['airlock.terminal.v1']): Promise<RawTerminal> {
    const ws = new WebSocket(`${controlUrl.replace(/^http/, 'ws')}/v1/shell/${target}`, protocols, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawTerminal(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  json(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }
}
