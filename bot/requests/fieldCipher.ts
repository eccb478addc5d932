import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Seals a value for storage and opens it again; the format carries a version so keys can be rotated later. */
export interface FieldCipher {
  seal(plain: string): string;
  open(sealed: string): string;
}

/** Thrown when a sealed value cannot be opened: the wrong key, or a value changed on disk. */
export class SealError extends Error {
  override name = 'SealError';
}

const prefix = 'v1:';

/**
 * AES-256-GCM with a fresh 12-byte nonce per value: `v1:<nonce>:<tag>:<ciphertext>`, base64url. GCM's tag means a
 * value altered on disk fails to open instead of reading as something else.
 */
export class AesGcmCipher implements FieldCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new RangeError('the request key must be 32 bytes (AES-256)');
  }

  seal(plain: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${prefix}${nonce.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${body.toString('base64url')}`;
  }

  open(sealed: string): string {
    const [version, nonce, tag, body] = sealed.split(':');
    if (`${version}:` !== prefix || !nonce || !tag || body === undefined) throw new SealError('not a sealed value');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SealError('the value could not be opened with this key, or was changed on disk');
    }
  }
}
