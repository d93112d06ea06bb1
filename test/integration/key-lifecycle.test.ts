import { afterEach, describe, expect, it } from 'vitest';
import type { LocalCertificateAuthority } from '../../src/ca/local-ca.js';
import { ManualClock } from '../support/clock.js';
import { createTestService, type TestService } from '../support/service.js';

describe('KeyManager with the store and the built-in CAs', () => {
  let ctx: TestService | undefined;
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });

  it('creates a first key certified by every CA, with at most one active', async () => {
    ctx = await createTestService();
    const { keyManager, store } = ctx.service;
    const keys = await Promise.all(Array.from({ length: 8 }, () => keyManager.getKeyForSigning()));
    const kids = new Set(keys.map((key) => key.record.kid));
    expect(kids.size).toBe(1);
    const [kid] = kids;
    expect(await store.keys.list(['active'])).toHaveLength(1);
    const certs = await store.certificates.listForKey(kid ?? '');
    expect(certs.map((cert) => cert.caId).sort()).toEqual(['local-a', 'local-b']);
    expect(keys[0]?.record.status).toBe('active');
  });

  it('rotates once when a scheduled rotation is due, retiring the old key', async () => {
    const clock = new ManualClock(Date.now());
    ctx = await createTestService(
      'keys: { rotation: { every: PT1M }, prepublish: PT10S, jwksMaxAge: PT5S }\n',
      clock,
    );
    const { keyManager, store } = ctx.service;
    const first = await keyManager.getKeyForSigning();
    clock.advance(30_000);
    expect((await keyManager.getKeyForSigning()).record.kid).toBe(first.record.kid);
    clock.advance(31_000);
    const after = await Promise.all(Array.from({ length: 5 }, () => keyManager.getKeyForSigning()));
    const kids = new Set(after.map((key) => key.record.kid));
    expect(kids.size).toBe(1);
    expect(kids.has(first.record.kid)).toBe(false);
    expect((await store.keys.get(first.record.kid))?.status).toBe('retired');
    expect(await store.keys.list()).toHaveLength(2);
  });

  it('revokes the active key everywhere, with a new key active when revoke returns', async () => {
    ctx = await createTestService();
    const { keyManager, store, api } = ctx.service;
    const old = await keyManager.getKeyForSigning();
    const { activeKid } = await keyManager.revoke(old.record.kid, 'keyCompromise', 'test');
    expect(activeKid).not.toBe(old.record.kid);
    expect((await store.keys.getActive())?.kid).toBe(activeKid);
    const revoked = await store.keys.get(old.record.kid);
    expect(revoked).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
    const certs = await store.certificates.listForKey(old.record.kid);
    expect(certs.map((cert) => cert.status)).toEqual(['revoked', 'revoked']);
    const jwks = await api.jwks();
    expect(jwks.keys.map((key) => key.kid)).toEqual([activeKid]);
    await expect(keyManager.revoke('no-such-kid', 'x', 'test')).rejects.toMatchObject({
      code: 'ERR_KEY_NOT_FOUND',
    });
  });

  it('treats a CA answering "revoked" as a compromise: revokes, rotates and signs with a new key', async () => {
    ctx = await createTestService();
    const { keyManager, store, api } = ctx.service;
    const old = await keyManager.getKeyForSigning();
    const cert = await store.certificates.get(old.record.kid, 'local-a');
    // The CA revokes the certificate on its own (as an operator would at an external CA).
    await store.certificates.markRevoked(
      'local-a',
      cert?.serial ?? '',
      'keyCompromise',
      new Date(),
    );
    await ctx.service.start();
    const client = { id: 'alice', role: 'client' as const };
    const { record } = await api.submit(client, { data: { x: 1 } });
    const status = await api.status(client, record.requestId, 10_000);
    expect(status.status).toBe('completed');
    expect(status.signedResponse?.kid).not.toBe(old.record.kid);
    expect((await store.keys.get(old.record.kid))?.status).toBe('revoked');
  });

  it('revokes the active key even when no CA can certify a replacement, and signs again once one can', async () => {
    ctx = await createTestService();
    const { keyManager, store, cas } = ctx.service;
    const old = (await keyManager.getKeyForSigning()).record.kid;
    const locals = cas as LocalCertificateAuthority[];
    for (const ca of locals) ca.setAvailable(false);
    const { activeKid } = await keyManager.revoke(old, 'keyCompromise', 'test');
    expect(activeKid).toBeNull();
    expect((await store.keys.get(old))?.status).toBe('revoked');
    expect(await store.keys.getActive()).toBeUndefined();
    await expect(keyManager.getKeyForSigning()).rejects.toMatchObject({
      code: 'ERR_CA_UNAVAILABLE',
    });
    for (const ca of locals) ca.setAvailable(true);
    const next = await keyManager.getKeyForSigning();
    expect(next.record.kid).not.toBe(old);
    expect(next.record.status).toBe('active');
  });
});
