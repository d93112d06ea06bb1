import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** base64url SHA-256 of the RFC 8785 canonical JSON of `value`. */
export function canonicalDigest(value: unknown): string {
  return createHash('sha256')
    .update(canonicalize(value) ?? 'null')
    .digest('base64url');
}
