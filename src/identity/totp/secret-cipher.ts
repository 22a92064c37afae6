import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const ENCRYPTION_KEY_BYTES = 32;

/** Thrown when a stored secret cannot be decrypted (wrong key, tampered, or bound to another subject). */
export class SecretDecryptionError extends Error {
  constructor() {
    super('stored TOTP secret could not be decrypted');
    this.name = 'SecretDecryptionError';
  }
}

/**
 * AES-256-GCM for TOTP secrets at rest. The additional authenticated data
 * binds a ciphertext to its owner, so a record copied onto another user's
 * key in the store does not decrypt.
 */
export class SecretCipher {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== ENCRYPTION_KEY_BYTES) throw new TypeError(`TOTP encryption key must be ${ENCRYPTION_KEY_BYTES} bytes`);
    this.#key = Buffer.from(key);
  }

  encrypt(plaintext: string, owner: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(owner));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  decrypt(sealed: string, owner: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretDecryptionError();
    const iv = Buffer.from(parts[1] as string, 'base64url');
    const ciphertext = Buffer.from(parts[2] as string, 'base64url');
    const tag = Buffer.from(parts[3] as string, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptionError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(owner));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError();
    }
  }
}

function aad(owner: string): Buffer {
  return Buffer.from(`airlock:totp:${VERSION}:${owner}`, 'utf8');
}
