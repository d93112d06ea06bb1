import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * Digests of request data already computed, by the data object: the processor
 * (notarize) and the token's `req` claim both digest the same request data.
 * Request data is parsed JSON that nothing modifies.
 */
const digests = new WeakMap<object, string>();

/** base64url SHA-256 of the RFC 8785 canonical JSON of `value`. */
export function canonicalDigest(value: unknown): string {
  if (typeof value !== 'object' || value === null) return digestOf(value);
  let digest = digests.get(value);
  if (digest === undefined) {
    digest = digestOf(value);
    digests.set(value, digest);
  }
  return digest;
}

function digestOf(value: unknown): string {
  return hash('sha256', canonicalize(value) ?? 'null', 'base64url');
}
