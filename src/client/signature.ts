import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';

interface Scheme {
  hash: string | null;
  options?: Omit<VerifyKeyObjectInput, 'key'>;
}

const pss = (saltLength: number) => ({
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength,
});
const pkcs1 = { padding: constants.RSA_PKCS1_PADDING };
const p1363 = { dsaEncoding: 'ieee-p1363' } as const;

/** RFC 7518 §3 and RFC 8037 §3.1: the node:crypto parameters of each asymmetric JWS algorithm. */
const SCHEMES = new Map<string, Scheme>([
  ['EdDSA', { hash: null }],
  ['ES256', { hash: 'sha256', options: p1363 }],
  ['ES384', { hash: 'sha384', options: p1363 }],
  ['ES512', { hash: 'sha512', options: p1363 }],
  ['RS256', { hash: 'sha256', options: pkcs1 }],
  ['RS384', { hash: 'sha384', options: pkcs1 }],
  ['RS512', { hash: 'sha512', options: pkcs1 }],
  ['PS256', { hash: 'sha256', options: pss(32) }],
  ['PS384', { hash: 'sha384', options: pss(48) }],
  ['PS512', { hash: 'sha512', options: pss(64) }],
]);

/**
 * Whether `signature` is `alg`'s signature of `data` by `key`. The caller has
 * already checked `alg` against its allow-list and the key. The one-shot
 * callback form runs the check on the libuv thread pool, off the event loop.
 */
export function signatureHolds(
  alg: string,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const scheme = SCHEMES.get(alg);
  if (!scheme) return Promise.reject(new Error(`no signature scheme for "${alg}"`));
  const input = scheme.options ? { key, ...scheme.options } : key;
  return new Promise((resolve, reject) => {
    verify(scheme.hash, data, input, signature, (err, holds) => {
      if (err) reject(err);
      else resolve(holds);
    });
  });
}
