import type { IncomingMessage } from 'node:http';

/** A request body read up to the inspection cap. */
export type BodyRead =
  | { readonly state: 'none' }
  | { readonly state: 'inspected'; readonly body: Buffer }
  /** Larger than the cap: what was read is kept (to forward first), the rest is still in the paused stream. */
  | { readonly state: 'over_cap'; readonly head: readonly Buffer[] }
  /** The client went away or the body was malformed while it was read. */
  | { readonly state: 'aborted' };

/**
 * Reads a request body for inspection: all of it when it fits in `cap`,
 * else stops (pausing the stream) as soon as it is known to be larger, so a
 * large upload is never buffered whole.
 */
export function readRequestBody(req: IncomingMessage, declared: number | 'chunked' | 0, cap: number): Promise<BodyRead> {
  if (declared === 0) return Promise.resolve({ state: 'none' });
  if (typeof declared === 'number' && declared > cap) {
    req.pause();
    return Promise.resolve({ state: 'over_cap', head: [] });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyRead): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      chunks.push(chunk);
      if (size > cap) {
        req.pause();
        finish({ state: 'over_cap', head: chunks });
      }
    };
    const onEnd = (): void => finish(size === 0 ? { state: 'none' } : { state: 'inspected', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    const onError = (): void => finish({ state: 'aborted' });
    const onClose = (): void => {
      if (!req.complete) finish({ state: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
