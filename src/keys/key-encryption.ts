import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SignetError } from '../domain/errors.js';

const VERSION = 'v1';

/**
 * Encrypts private key material at rest with AES-256-GCM under the master key.
 * The key id (or another context string) is bound as additional data, so an
 * encrypted blob cannot be moved to another record unnoticed.
 */
export class KeyEncryption {
  readonly #masterKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) {
      throw new SignetError('ERR_CONFIG_INVALID', 'master key must be 32 bytes');
    }
    this.#masterKey = Buffer.from(masterKey);
  }

  encrypt(plaintext: Uint8Array, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#masterKey, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      iv.toString('base64url'),
      body.toString('base64url'),
      tag.toString('base64url'),
    ].join('.');
  }

  decrypt(blob: string, context: string): Buffer {
    const [version, iv, body, tag] = blob.split('.');
    if (version !== VERSION || !iv || !body || !tag) {
      throw new SignetError('ERR_INTERNAL', 'encrypted key has an unknown format');
    }
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        this.#masterKey,
        Buffer.from(iv, 'base64url'),
      );
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
    } catch {
      // Never include the blob or the cause: it could carry key material.
      throw new SignetError('ERR_INTERNAL', 'cannot decrypt a stored key: wrong master key?');
    }
  }

  /** Keeps the master key out of logs and inspection. */
  toJSON(): string {
    return '[KeyEncryption]';
  }
}
