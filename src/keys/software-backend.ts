import { webcrypto } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { KeyBackend, LoadedKey } from '../domain/ports.js';
import type { Algorithm, KeyRotationRecord, PublicJwk } from '../domain/types.js';
import { WEBCRYPTO_PARAMS } from './algorithms.js';
import type { KeyEncryption } from './key-encryption.js';

const { subtle } = webcrypto;

function publicMembers(jwk: webcrypto.JsonWebKey): PublicJwk {
  const { kty, crv, x, y, n, e } = jwk;
  const out: PublicJwk = { kty: kty ?? '' };
  for (const [name, value] of Object.entries({ crv, x, y, n, e })) {
    if (value !== undefined) Object.assign(out, { [name]: value });
  }
  return out;
}

/**
 * Keys generated in software. The private key leaves this class only as an
 * AES-256-GCM blob (bound to its kid) and, once loaded, as a non-extractable CryptoKey.
 */
export class SoftwareKeyBackend implements KeyBackend {
  constructor(private readonly encryption: KeyEncryption) {}

  async generate(algorithm: Algorithm): Promise<{ publicJwk: PublicJwk; privateKeyRef: string }> {
    const pair = (await subtle.generateKey(WEBCRYPTO_PARAMS[algorithm], true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const base = publicMembers(await subtle.exportKey('jwk', pair.publicKey));
    const kid = await calculateJwkThumbprint(
      base as Parameters<typeof calculateJwkThumbprint>[0],
      'sha256',
    );
    const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
    try {
      return {
        publicJwk: { ...base, kid, alg: algorithm, use: 'sig' },
        privateKeyRef: this.encryption.encrypt(pkcs8, `key:${kid}`),
      };
    } finally {
      pkcs8.fill(0);
    }
  }

  async load(record: KeyRotationRecord): Promise<LoadedKey> {
    const params = WEBCRYPTO_PARAMS[record.algorithm];
    const pkcs8 = this.encryption.decrypt(record.privateKeyRef, `key:${record.kid}`);
    try {
      const privateKey = await subtle.importKey('pkcs8', pkcs8, params, false, ['sign']);
      const { kid: _kid, alg: _alg, use: _use, ...jwk } = record.publicJwk;
      const publicKey = await subtle.importKey('jwk', jwk as webcrypto.JsonWebKey, params, true, [
        'verify',
      ]);
      return { record, privateKey, publicKey };
    } finally {
      pkcs8.fill(0);
    }
  }
}
