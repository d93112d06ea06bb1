import { randomBytes, webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, CompactSign, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS, type KeyRotationRecord } from '../../../src/domain/types.js';
import { KeyEncryption } from '../../../src/keys/key-encryption.js';
import { SoftwareKeyBackend } from '../../../src/keys/software-backend.js';

const encryption = new KeyEncryption(randomBytes(32));
const backend = new SoftwareKeyBackend(encryption);

describe('KeyEncryption', () => {
  it('round-trips and binds the blob to its context', () => {
    const blob = encryption.encrypt(Buffer.from('secret key bytes'), 'key:a');
    expect(blob).not.toContain('secret');
    expect(encryption.decrypt(blob, 'key:a').toString()).toBe('secret key bytes');
    expect(() => encryption.decrypt(blob, 'key:b')).toThrow(/cannot decrypt/);
    expect(() => new KeyEncryption(randomBytes(32)).decrypt(blob, 'key:a')).toThrow(
      /wrong master key/,
    );
  });

  it('refuses a master key of the wrong size', () => {
    expect(() => new KeyEncryption(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('SoftwareKeyBackend', () => {
  it.each(ALGORITHMS)(
    'generates %s keys with an RFC 7638 kid that sign and verify',
    async (algorithm) => {
      const { publicJwk, privateKeyRef } = await backend.generate(algorithm);
      const { kid, alg: _alg, use: _use, ...members } = publicJwk;
      expect(kid).toBe(await calculateJwkThumbprint(members as never, 'sha256'));
      expect(JSON.stringify(publicJwk)).not.toMatch(/"d"|"p"|"q"/);
      const record: KeyRotationRecord = {
        kid: kid ?? '',
        algorithm,
        status: 'active',
        publicJwk,
        privateKeyRef,
        createdAt: new Date(),
      };
      const loaded = await backend.load(record);
      expect(loaded.privateKey.extractable).toBe(false);
      await expect(webcrypto.subtle.exportKey('pkcs8', loaded.privateKey)).rejects.toThrow();
      const jws = await new CompactSign(new TextEncoder().encode('hello'))
        .setProtectedHeader({ alg: algorithm })
        .sign(loaded.privateKey);
      const verified = await compactVerify(jws, await importJWK({ ...publicJwk }, algorithm));
      expect(new TextDecoder().decode(verified.payload)).toBe('hello');
    },
  );

  it('cannot load a key whose blob was moved to another kid', async () => {
    const a = await backend.generate('EdDSA');
    const b = await backend.generate('EdDSA');
    const record: KeyRotationRecord = {
      kid: b.publicJwk.kid ?? '',
      algorithm: 'EdDSA',
      status: 'active',
      publicJwk: b.publicJwk,
      privateKeyRef: a.privateKeyRef,
      createdAt: new Date(),
    };
    await expect(backend.load(record)).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
  });
});
