import { isIPv4, isIPv6 } from 'node:net';

// node:net validates addresses but cannot mask them to a prefix; this is the few lines it lacks.

export interface SourceAddress {
  /** The address in canonical form (IPv4-mapped IPv6 becomes IPv4; zone ids dropped). */
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
}

/** Normalizes a client address; null when it is not an IP address (unix socket, empty). */
export function parseSourceAddress(raw: string): SourceAddress | null {
  let text = raw.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (isIPv4(text)) return { address: text, family: 'ipv4' };
  if (!isIPv6(text)) return null;
  const words = ipv6Words(text);
  if (words === null) return null;
  // ::ffff:a.b.c.d is an IPv4 client seen through a dual-stack socket.
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    const hi = words[6] as number;
    const lo = words[7] as number;
    return { address: `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`, family: 'ipv4' };
  }
  return { address: formatIpv6(words), family: 'ipv6' };
}

/** The network a source belongs to, e.g. "10.0.0.0/24" or "2001:db8:1:2::/64"; null for non-IP sources. */
export function sourceNetwork(raw: string, prefixV4: number, prefixV6: number): string | null {
  const source = parseSourceAddress(raw);
  if (!source) return null;
  if (source.family === 'ipv4') {
    const octets = source.address.split('.').map(Number);
    const value = ((octets[0] as number) * 2 ** 24 + (octets[1] as number) * 2 ** 16 + (octets[2] as number) * 2 ** 8 + (octets[3] as number)) >>> 0;
    const mask = prefixV4 === 0 ? 0 : (0xffffffff << (32 - prefixV4)) >>> 0;
    const net = (value & mask) >>> 0;
    return `${net >>> 24}.${(net >>> 16) & 0xff}.${(net >>> 8) & 0xff}.${net & 0xff}/${prefixV4}`;
  }
  const words = ipv6Words(source.address) as number[];
  const masked = words.map((word, i) => {
    const bits = Math.max(0, Math.min(16, prefixV6 - i * 16));
    return bits === 0 ? 0 : word & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${formatIpv6(masked)}/${prefixV6}`;
}

/** Eight 16-bit words of a valid IPv6 address (embedded IPv4 allowed). */
function ipv6Words(text: string): number[] | null {
  let body = text;
  const lastColon = body.lastIndexOf(':');
  const last = body.slice(lastColon + 1);
  if (last.includes('.')) {
    // Rewrite the embedded IPv4 part as two hex words, then parse as usual.
    const o = last.split('.').map(Number) as [number, number, number, number];
    body = `${body.slice(0, lastColon + 1)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string | undefined): number[] => (part ? part.split(':').filter((w) => w !== '').map((w) => parseInt(w, 16)) : []);
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  const missing = 8 - head.length - rest.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...rest];
}

/** RFC 5952 text: lower case, longest run of two or more zero words as "::". */
function formatIpv6(words: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
