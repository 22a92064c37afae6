/**
 * Every key and channel name, in one place. One approval is one key whose
 * hash tag `{a:<id>}` pins it (and its channel name) to a cluster slot; the
 * other kinds get their own namespace so a value key never collides with an
 * event or set key of the same logical name (Redis would answer WRONGTYPE).
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  approval(id: string): string {
    return `${this.prefix}{a:${id}}`;
  }
  approvalChannel(id: string): string {
    return `${this.prefix}{a:${id}}:changed`;
  }
  isApprovalChannel(channel: string): boolean {
    return channel.startsWith(`${this.prefix}{a:`);
  }
  index(): string {
    return `${this.prefix}approvals`;
  }
  /** Ids of open requests (pending, or approved and not yet consumed), scored by expiry. */
  openIndex(): string {
    return `${this.prefix}approvals:open`;
  }
  value(key: string): string {
    return `${this.prefix}k:${key}`;
  }
  events(key: string): string {
    return `${this.prefix}e:${key}`;
  }
  set(key: string): string {
    return `${this.prefix}s:${key}`;
  }
  topic(topic: string): string {
    return `${this.prefix}t:${topic}`;
  }
}
