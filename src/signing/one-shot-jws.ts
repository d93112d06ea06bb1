/**
 * Compact JWS signing and verification with Node's one-shot crypto.sign and
 * crypto.verify. jose signs through WebCrypto, whose asynchronous job costs
 * several times an Ed25519 or ECDSA signature itself (measured: `npm run
 * bench`); jose has no synchronous path, so the worker's hot path uses this.
 * Ed25519 and ECDSA run inline (tens of microseconds); RSA, a millisecond or
 * more, runs on the thread pool so that it does not hold the event loop.
 */
import {
  constants,
  type KeyObject,
  sign as cryptoSign,
  verify as cryptoVerify,
  type SignKeyObjectInput,
  type VerifyKeyObjectInput,
} from 'node:crypto';
import type { Algorithm } from '../domain/types.js';

interface Params {
  digest: string | null;
  options: Omit<SignKeyObjectInput, 'key'>;
  inline: boolean;
}

const PARAMS: Record<Algorithm, Params> = {
  EdDSA: { digest: null, options: {}, inline: true },
  ES256: { digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' }, inline: true },
  ES384: { digest: 'sha384', options: { dsaEncoding: 'ieee-p1363' }, inline: true },
  PS256: {
    digest: 'sha256',
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    inline: false,
  },
  RS256: { digest: 'sha256', options: {}, inline: false },
};

/** The compact serialization of `payload` under `header`, signed with `key` (RFC 7515 §7.1). */
export async function signCompact(
  alg: Algorithm,
  header: Record<string, unknown>,
  payload: Uint8Array,
  key: KeyObject,
): Promise<string> {
  // Buffer's base64url is RFC 7515's (RFC 4648 §5, no padding), in native code.
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  const input = `${encodedHeader}.${Buffer.from(payload).toString('base64url')}`;
  const { digest, options, inline } = PARAMS[alg];
  const data = Buffer.from(input);
  const signature = inline
    ? cryptoSign(digest, data, { key, ...options })
    : await new Promise<Buffer>((resolve, reject) =>
        cryptoSign(digest, data, { key, ...options }, (err, out) =>
          err ? reject(err) : resolve(out),
        ),
      );
  return `${input}.${signature.toString('base64url')}`;
}

/** Whether the signature of a compact JWS verifies with `key` under `alg` (the header is not read). */
export function verifyCompact(alg: Algorithm, jws: string, key: KeyObject): boolean {
  const end = jws.lastIndexOf('.');
  if (end < 0) return false;
  const { digest, options } = PARAMS[alg];
  const input: VerifyKeyObjectInput = { key, ...options };
  return cryptoVerify(
    digest,
    Buffer.from(jws.slice(0, end)),
    input,
    Buffer.from(jws.slice(end + 1), 'base64url'),
  );
}
