import { z } from 'zod';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** "host:port", "[::1]:port" or ":port" (all interfaces). */
export function listenAddress(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((value, ctx): ListenAddress => {
      const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
      const port = match ? Number(match[3]) : NaN;
      if (!match || port > 65535) {
        ctx.addIssue({ code: 'custom', message: 'expected host:port, e.g. 127.0.0.1:6432 or :6432' });
        return z.NEVER;
      }
      const host = match[1] ?? match[2] ?? '';
      return { host: host === '' ? '0.0.0.0' : host, port };
    });
}
