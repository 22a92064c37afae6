import type { HttpTargetConfig } from '../../config/schema.js';

/**
 * An HTTP target whose upstream address is known: its URL, or a Unix socket
 * (the embedded demo API, so nothing reaches it around Airlock; the URL then
 * gives only the Host header and base path).
 */
export type ServedHttpTarget = HttpTargetConfig & { readonly upstream: HttpTargetConfig['upstream'] & { readonly url: string; readonly socket_path?: string } };
