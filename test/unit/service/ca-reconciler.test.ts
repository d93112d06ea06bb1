import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalCertificateAuthority } from '../../../src/ca/local-ca.js';
import type { LoadedKey } from '../../../src/domain/ports.js';
import type { KeyRotationRecord, KeyStatus } from '../../../src/domain/types.js';
import { CaReconciler } from '../../../src/service/ca-reconciler.js';
import { Certification } from '../../../src/service/certification.js';
import type { Store } from '../../../src/store/index.js';
import { ManualClock } from '../../support/clock.js';
import { memoryStore, newLocalCa, signingKey } from '../ca/helpers.js';

const logger = pino({ level: 'silent' });

describe('Certification and the CA reconciler, with built-in CAs', () => {
  let store: Store;
  let a: LocalCertificateAuthority;
  let b: LocalCertificateAuthority;
  let healthy: Set<string>;
  const loaded = new Map<string, LoadedKey>();

  async function newKey(kid: string, status: KeyStatus = 'active'): Promise<LoadedKey> {
    const pair = await signingKey('ES256');
    const record: KeyRotationRecord = {
      kid,
      algorithm: 'ES256',
      status,
      publicJwk: { kty: 'EC' },
      privateKeyRef: 'unused',
      createdAt: new Date(),
    };
    const key = { record, privateKey: pair.privateKey, publicKey: pair.publicKey };
    loaded.set(kid, key);
    return key;
  }

  const certification = (required = 1) =>
    new Certification([a, b], store.certificates, required, logger, (id) => healthy.has(id));
  const reconciler = (cert = certification()) =>
    new CaReconciler({
      cas: [a, b],
      keys: store.keys,
      certificates: store.certificates,
      certification: cert,
      loadKey: async (record) => {
        const key = loaded.get(record.kid);
        if (!key) throw new Error(`no key ${record.kid}`);
        return key;
      },
      isHealthy: (id) => healthy.has(id),
      logger,
    });
  const heldBy = async (kid: string) =>
    (await store.certificates.listForKey(kid)).map((c) => `${c.caId}:${c.status}`).sort();

  beforeEach(async () => {
    store = await memoryStore();
    const clock = new ManualClock(Date.now());
    a = newLocalCa(store, clock, 'local-a');
    b = newLocalCa(store, clock, 'local-b');
    healthy = new Set(['local-a', 'local-b']);
  });
  afterEach(async () => {
    await store.close();
    loaded.clear();
  });

  it('does not wait for a CA reported down, and withdraws certificates of a key it discards', async () => {
    healthy.delete('local-b');
    const key = await newKey('kid-1');
    await certification(1).certify(key);
    expect(await heldBy('kid-1')).toEqual(['local-a:good']);

    const other = await newKey('kid-2');
    await expect(certification(2).certify(other)).rejects.toMatchObject({
      code: 'ERR_CA_UNAVAILABLE',
      message: 'only 1 CAs certified the new key, 2 required',
    });
    expect(await heldBy('kid-2')).toEqual(['local-a:revoked']);
  });

  it('issues one certificate per CA even when certified twice at once', async () => {
    const key = await newKey('kid-1');
    const cert = certification();
    await Promise.all([cert.complete(key), cert.complete(key), cert.complete(key)]);
    expect(await heldBy('kid-1')).toEqual(['local-a:good', 'local-b:good']);
  });

  it('certifies live keys at CAs that missed them, once those CAs are healthy', async () => {
    const active = await newKey('kid-active');
    const pending = await newKey('kid-pending', 'pending');
    const revoked = await newKey('kid-old', 'revoked');
    for (const key of [active, pending, revoked]) await store.keys.insert(key.record);
    b.setAvailable(false);
    await certification().certify(active);
    expect(await heldBy('kid-active')).toEqual(['local-a:good']);

    healthy.delete('local-b');
    expect((await reconciler().reconcile()).certified).toEqual([
      { kid: 'kid-pending', caId: 'local-a' },
    ]);
    healthy.add('local-b');
    const failing = await reconciler().reconcile();
    expect(failing.failures).toBe(2);

    b.setAvailable(true);
    const report = await reconciler().reconcile();
    expect(report.certified.sort((x, y) => x.kid.localeCompare(y.kid))).toEqual([
      { kid: 'kid-active', caId: 'local-b' },
      { kid: 'kid-pending', caId: 'local-b' },
    ]);
    expect(await heldBy('kid-active')).toEqual(['local-a:good', 'local-b:good']);
    expect(await heldBy('kid-old')).toEqual([]);
    expect((await reconciler().reconcile()).certified).toEqual([]);
  });

  it('revokes, at the CAs that missed it, every good certificate of a revoked key', async () => {
    const key = await newKey('kid-1', 'retired');
    await store.keys.insert(key.record);
    await certification().certify(key);
    expect(await store.keys.revoke('kid-1', 'keyCompromise', new Date())).toBe(true);
    b.setAvailable(false);
    expect(await certification().revoke('kid-1', 'keyCompromise')).toEqual(['local-b']);
    expect(await heldBy('kid-1')).toEqual(['local-a:revoked', 'local-b:good']);

    healthy.delete('local-b');
    expect((await reconciler().reconcile()).revoked).toEqual([]);
    healthy.add('local-b');
    b.setAvailable(true);
    expect((await reconciler().reconcile()).revoked).toEqual([{ kid: 'kid-1', caId: 'local-b' }]);
    const atB = await store.certificates.get('kid-1', 'local-b');
    expect(atB).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
  });
});
