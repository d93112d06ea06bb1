import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { refuse } from './errors.js';

/** The algorithms Signet signs with: the default allow-list. */
export const SIGNET_ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'] as const;

/** Every asymmetric JWS algorithm a caller may add to the allow-list. */
const ASYMMETRIC = new Set([...SIGNET_ALGORITHMS, 'ES512', 'PS384', 'PS512', 'RS384', 'RS512']);

const EC_CURVES: Record<string, string> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

const MIN_RSA_BITS = 2048;

/** Refuses `none`, symmetric algorithms, and anything the caller did not allow. */
export function checkAlgorithm(alg: unknown, allowed: readonly string[]): string {
  if (typeof alg !== 'string' || alg.length === 0) {
    refuse('ERR_TOKEN_MALFORMED', 'the header has no "alg"');
  }
  if (!ASYMMETRIC.has(alg)) refuse('ERR_ALG_NOT_ALLOWED', `algorithm "${alg}" is never accepted`);
  if (!allowed.includes(alg))
    refuse('ERR_ALG_NOT_ALLOWED', `algorithm "${alg}" is not on the allow-list`);
  return alg;
}

/** Refuses an algorithm the key cannot honestly produce (an RSA key with ES256, a P-256 key with ES384…). */
export function checkKeyFits(alg: string, key: KeyObject): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const fits = (() => {
    if (alg === 'EdDSA') return type === 'ed25519' || type === 'ed448';
    if (alg.startsWith('ES')) return type === 'ec' && details.namedCurve === EC_CURVES[alg];
    if (alg.startsWith('RS')) return type === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS;
    if (alg.startsWith('PS')) {
      return (type === 'rsa' || type === 'rsa-pss') && (details.modulusLength ?? 0) >= MIN_RSA_BITS;
    }
    return false;
  })();
  if (!fits) {
    const what = details.namedCurve
      ? `${type} ${details.namedCurve}`
      : details.modulusLength
        ? `${type} ${details.modulusLength}-bit`
        : type;
    refuse('ERR_ALG_NOT_ALLOWED', `algorithm "${alg}" does not fit the certificate's ${what} key`);
  }
}

/** RFC 7638 SHA-256 thumbprint of a public key: what Signet uses as `kid`. */
export async function keyThumbprint(key: KeyObject): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(key), 'sha256');
}
