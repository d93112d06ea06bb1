import { describe, expect, it } from 'vitest';
import { formatKeyRef, parseKeyRef } from '../../../src/keys/pkcs11/key-ref.js';

describe('PKCS#11 key references (RFC 7512 URIs)', () => {
  it('writes the token label and every CKA_ID byte percent-encoded', () => {
    const ref = formatKeyRef({ token: 'signet', id: Uint8Array.from([0x00, 0x8a, 0xff]) });
    expect(ref).toBe('pkcs11:token=signet;id=%00%8a%ff;type=private');
  });

  it.each(['signet', 'Signet HSM; prod=1', '100% ünïcode/label'])(
    'reads back what it wrote for token %j',
    (token) => {
      const id = Uint8Array.from({ length: 16 }, (_, i) => (i * 37) & 0xff);
      const parsed = parseKeyRef(formatKeyRef({ token, id }), 'kid-1');
      expect(parsed.token).toBe(token);
      expect(Array.from(parsed.id)).toEqual(Array.from(id));
    },
  );

  it.each([
    ['v1.aGVsbG8.d29ybGQ', /not a pkcs11: URI/],
    ['pkcs11:id=%01', /lacks token or id/],
    ['pkcs11:token=t', /lacks token or id/],
    ['pkcs11:token=t;id=01', /lacks token or id/],
  ])('refuses %j, naming the key', (text, reason) => {
    expect(() => parseKeyRef(text, 'kid-9')).toThrow(reason);
    expect(() => parseKeyRef(text, 'kid-9')).toThrow(/key kid-9/);
  });
});
