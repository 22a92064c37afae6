import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/** Compressed bodies expand to at most this before Airlock gives up reading them. */
const MAX_DECODED_BYTES = 8 * 1024 * 1024;

/**
 * The body as the upstream will read it after undoing `Content-Encoding`
 * (gzip, deflate, br, in the order applied): rules on body fields must not
 * be dodged by compressing the body. An unknown coding, a corrupt stream or
 * one that expands beyond the limit is refused.
 */
export function decodeContent(body: Buffer, contentEncoding: string | undefined): { ok: true; body: Buffer } | { ok: false; reason: string } {
  if (contentEncoding === undefined) return { ok: true, body };
  const codings = contentEncoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  let decoded = body;
  try {
    // Codings are listed in the order they were applied: undo them last first.
    for (const coding of codings.reverse()) {
      const options = { maxOutputLength: MAX_DECODED_BYTES };
      if (coding === 'gzip' || coding === 'x-gzip') decoded = gunzipSync(decoded, options);
      else if (coding === 'deflate') decoded = inflateSync(decoded, options);
      else if (coding === 'br') decoded = brotliDecompressSync(decoded, options);
      else return { ok: false, reason: `a body in the content coding "${coding.slice(0, 20)}", which Airlock cannot read` };
    }
  } catch (err) {
    const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || /too large|maxOutputLength/i.test((err as Error).message);
    return { ok: false, reason: tooLarge ? `a compressed body that expands beyond ${MAX_DECODED_BYTES} bytes` : 'a compressed body that does not decompress' };
  }
  return { ok: true, body: decoded };
}
