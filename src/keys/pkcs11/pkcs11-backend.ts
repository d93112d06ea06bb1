import { randomBytes, webcrypto } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { SignetError } from '../../domain/errors.js';
import type { KeyBackend, LoadedKey } from '../../domain/ports.js';
import type { Algorithm, KeyRotationRecord, PublicJwk } from '../../domain/types.js';
import { WEBCRYPTO_PARAMS } from '../algorithms.js';
import { formatKeyRef, parseKeyRef } from './key-ref.js';
import { Pkcs11Token, type TokenOptions } from './token.js';

const thumbprint = (jwk: PublicJwk) =>
  calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256');

/**
 * Keys generated inside a PKCS#11 token as sensitive and non-extractable: the
 * private key never leaves it and every signature is made there. Signet keeps
 * the public JWK and a PKCS#11 URI naming the token object.
 */
export class Pkcs11KeyBackend implements KeyBackend {
  readonly #token: Pkcs11Token;

  constructor(options: TokenOptions) {
    this.#token = new Pkcs11Token(options);
  }

  async generate(algorithm: Algorithm): Promise<{ publicJwk: PublicJwk; privateKeyRef: string }> {
    const id = randomBytes(16);
    const base = await this.#token.generateKeyPair(algorithm, id);
    try {
      await importPublic(base, algorithm);
      const kid = await thumbprint(base);
      await this.#token.setLabel(id, `signet ${kid}`).catch(() => undefined);
      return {
        publicJwk: { ...base, kid, alg: algorithm, use: 'sig' },
        privateKeyRef: formatKeyRef({ token: this.#token.label, id }),
      };
    } catch (err) {
      await this.#token.destroy(id).catch(() => undefined);
      throw err;
    }
  }

  async load(record: KeyRotationRecord): Promise<LoadedKey> {
    const { kid, algorithm } = record;
    const ref = parseKeyRef(record.privateKeyRef, kid);
    if (ref.token !== this.#token.label) {
      throw new SignetError(
        'ERR_KEY_NOT_FOUND',
        `key ${kid} is held in PKCS#11 token '${ref.token}', but keys.pkcs11.tokenLabel is '${this.#token.label}'`,
      );
    }
    if (!(await this.#token.hasPrivateKey(ref.id))) {
      throw new SignetError(
        'ERR_HSM_UNAVAILABLE',
        `PKCS#11 token '${ref.token}' does not hold the private key of ${kid} (${record.privateKeyRef})`,
        { retryable: true },
      );
    }
    const stored = await this.#token.readPublicKey(algorithm, ref.id);
    if (stored && (await thumbprint(stored)) !== kid) {
      throw new SignetError(
        'ERR_KEY_NOT_FOUND',
        `the key pair ${record.privateKeyRef} in PKCS#11 token '${ref.token}' is not ${kid}`,
      );
    }
    const { kid: _kid, alg: _alg, use: _use, ...jwk } = record.publicJwk;
    const publicKey = await importPublic(jwk, algorithm);
    // Describes the token key for the CSR builder; no WebCrypto implementation can use it.
    const privateKey: webcrypto.CryptoKey = {
      type: 'private',
      extractable: false,
      algorithm: publicKey.algorithm,
      usages: ['sign'],
    };
    const token = this.#token;
    return {
      record,
      privateKey,
      publicKey,
      sign: (signingInput) => token.sign(algorithm, ref.id, signingInput),
    };
  }

  async destroy(record: KeyRotationRecord): Promise<void> {
    const ref = parseKeyRef(record.privateKeyRef, record.kid);
    if (ref.token === this.#token.label) await this.#token.destroy(ref.id);
  }

  close(): Promise<void> {
    return this.#token.close();
  }
}

function importPublic(jwk: PublicJwk, algorithm: Algorithm): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey(
    'jwk',
    jwk as webcrypto.JsonWebKey,
    WEBCRYPTO_PARAMS[algorithm],
    true,
    ['verify'],
  );
}
