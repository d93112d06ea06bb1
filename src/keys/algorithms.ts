import type { webcrypto } from 'node:crypto';
import type { Algorithm } from '../domain/types.js';

type KeyGenParams =
  webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams | webcrypto.Algorithm;

const RSA = { modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };

/** WebCrypto parameters of each JWS algorithm Signet signs with. */
export const WEBCRYPTO_PARAMS: Record<Algorithm, KeyGenParams> = {
  EdDSA: { name: 'Ed25519' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256' } as webcrypto.EcKeyGenParams,
  ES384: { name: 'ECDSA', namedCurve: 'P-384' } as webcrypto.EcKeyGenParams,
  PS256: { name: 'RSA-PSS', ...RSA } as webcrypto.RsaHashedKeyGenParams,
  RS256: { name: 'RSASSA-PKCS1-v1_5', ...RSA } as webcrypto.RsaHashedKeyGenParams,
};
