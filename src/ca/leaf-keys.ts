import { createPublicKey, type KeyObject } from 'node:crypto';

const MAX_ENTRIES = 256;
const keys = new Map<string, KeyObject>();

/**
 * The public key of a PEM certificate, parsed once: parsing costs more than
 * an Ed25519 verification, and the same few leaf certificates verify every token.
 */
export function leafPublicKey(leafPem: string): KeyObject {
  let key = keys.get(leafPem);
  if (!key) {
    key = createPublicKey(leafPem);
    keys.set(leafPem, key);
    if (keys.size > MAX_ENTRIES) {
      const oldest = keys.keys().next().value;
      if (oldest !== undefined) keys.delete(oldest);
    }
  }
  return key;
}
