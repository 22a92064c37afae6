import { createHash } from 'node:crypto';

function md5(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** The answer to AuthenticationMD5Password: "md5" + md5(md5(password + user) + salt). */
export function md5PasswordResponse(user: string, password: string, salt: Buffer): string {
  const inner = md5(password + user);
  return `md5${md5(Buffer.concat([Buffer.from(inner, 'utf8'), salt]))}`;
}
