import { createPublicKey, type KeyObject } from 'node:crypto';

const MAX_ENTRIES = 256;
const byPem = new Map<string, KeyObject>();
const bySpki = new Map<string, KeyObject>();

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.set(key, value);
  if (map.size > MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/**
 * The public key of a PEM certificate, parsed once: parsing costs more than
 * an Ed25519 verification, and the same few leaf certificates verify every
 * token. Certificates of the same key (one per CA) give the same KeyObject,
 * so that a signature is checked once for all of them (SignatureGenerator).
 */
export function leafPublicKey(leafPem: string): KeyObject {
  let key = byPem.get(leafPem);
  if (!key) {
    const parsed = createPublicKey(leafPem);
    const spki = parsed.export({ format: 'der', type: 'spki' }).toString('base64');
    key = bySpki.get(spki) ?? parsed;
    remember(bySpki, spki, key);
    remember(byPem, leafPem, key);
  }
  return key;
}
