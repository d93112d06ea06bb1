import type { KeyRotationRecord } from '../../src/domain/types.js';

/** A key row for store tests: its material is never used, only its kid and status. */
export function keyRecord(kid: string, status: KeyRotationRecord['status']): KeyRotationRecord {
  return {
    kid,
    algorithm: 'EdDSA',
    status,
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: kid },
    privateKeyRef: 'ref',
    createdAt: new Date(0),
  };
}
