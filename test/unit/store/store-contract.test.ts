import { beforeEach, describe, expect, it } from 'vitest';
import type { KeyChange } from '../../../src/domain/ports.js';
import { keyRecord as key } from '../../support/records.js';
import { verifyAuditChain } from '../../../src/store/audit-verify.js';
import type { Store } from '../../../src/store/index.js';
import { ManualClock } from '../../support/clock.js';
import { storeBackends, storePerTest } from '../../support/store-backends.js';

const until = async (check: () => boolean, ms = 3000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** The same contract on SQLite and on PostgreSQL; `other` is a second instance (see `another`). */
describe.each(await storeBackends())('store contract on $name', (backend) => {
  const clock = new ManualClock();
  const fresh = storePerTest(backend, clock);
  let store: Store;
  let other: Store;
  beforeEach(async () => {
    store = fresh.store();
    other = await fresh.fixture().another(clock);
  });

  const swap = (s: Store, expected: string | undefined, next: string) =>
    s.keys.swapActive({
      expectedActiveKid: expected,
      newKid: next,
      outcome: 'retired',
      at: clock.now(),
    });

  it('lets exactly one of two racing first activations win', async () => {
    await store.keys.insert(key('a', 'pending'));
    await store.keys.insert(key('b', 'pending'));
    const results = await Promise.all([swap(store, undefined, 'a'), swap(other, undefined, 'b')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const active = await store.keys.list(['active']);
    expect(active).toHaveLength(1);
    expect(active[0]?.kid).toBe(results[0] ? 'a' : 'b');
  });

  it('lets exactly one of many racing rotations of the same key win', async () => {
    await store.keys.insert(key('old', 'active'));
    const next = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
    for (const kid of next) await store.keys.insert(key(kid, 'pending'));
    const results = await Promise.all(
      next.map((kid, i) => swap(i % 2 === 0 ? store : other, 'old', kid)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.keys.list(['active'])).toHaveLength(1);
    expect((await store.keys.get('old'))?.status).toBe('retired');
    expect(await store.keys.list(['pending'])).toHaveLength(next.length - 1);
  });

  it('announces committed key changes to the instances that listen', async () => {
    const seen: KeyChange[] = [];
    other.keyChanges.subscribe((change) => change && seen.push(change));
    await until(() => other.listening());
    await store.keys.insert(key('k1', 'pending'));
    expect(await swap(store, undefined, 'k1')).toBe(true);
    await store.keys.insert(key('k2', 'pending'));
    expect(await swap(store, 'k1', 'k2')).toBe(true);
    expect(await store.keys.revoke('k1', 'keyCompromise', clock.now())).toBe(true);
    expect(await store.keys.revoke('k1', 'keyCompromise', clock.now())).toBe(false);
    await until(() => seen.length >= 4);
    expect(seen).toEqual([
      { kid: 'k1', status: 'active' },
      { kid: 'k1', status: 'retired' },
      { kid: 'k2', status: 'active' },
      { kid: 'k1', status: 'revoked' },
    ]);
  });

  it('wakes the workers of every instance when work is enqueued', async () => {
    let woken = 0;
    other.notifier.subscribe(() => woken++);
    await until(() => other.listening());
    store.notifier.notify();
    await until(() => woken > 0);
  });

  it('keeps one audit hash chain under concurrent appends from two instances', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? store : other).audit.append({
          actor: `actor-${i}`,
          action: 'test.append',
          subject: String(i),
          details: { i },
        }),
      ),
    );
    expect(await verifyAuditChain(store.db)).toEqual({ ok: true, entries: 40 });
  });

  it('stores certificates, finds them by serial and revokes them once', async () => {
    const cert = {
      kid: 'k1',
      caId: 'local-a',
      serial: '0a1b',
      chainPem: '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
      notBefore: new Date(1_000),
      notAfter: new Date(2_000),
      ocspUrl: 'http://127.0.0.1/ocsp',
      status: 'good' as const,
    };
    await store.certificates.insert(cert);
    expect(await other.certificates.get('k1', 'local-a')).toEqual(cert);
    await store.certificates.markRevoked('local-a', '0a1b', 'keyCompromise', new Date(1_500));
    await store.certificates.markRevoked('local-a', '0a1b', 'superseded', new Date(1_800));
    expect(await store.certificates.findBySerial('local-a', '0a1b')).toMatchObject({
      status: 'revoked',
      revokedAt: new Date(1_500),
      revocationReason: 'keyCompromise',
    });
    const first = await store.localCas.initialize({
      caId: 'local-a',
      rootCertPem: 'root-1',
      encryptedRootKey: 'key-1',
    });
    const second = await other.localCas.initialize({
      caId: 'local-a',
      rootCertPem: 'root-2',
      encryptedRootKey: 'key-2',
    });
    expect(second).toEqual(first);
  });

  it('upserts clients and counts them by role', async () => {
    const at = new Date(5_000);
    await store.clients.upsert({
      id: 'alice',
      role: 'client',
      tokenId: 't1',
      secretHash: 'h1',
      at,
    });
    await store.clients.upsert({ id: 'root', role: 'admin', tokenId: 't2', secretHash: 'h2', at });
    await other.clients.upsert({ id: 'alice', role: 'admin', tokenId: 't3', secretHash: 'h3', at });
    expect(await store.clients.findByTokenId('t1')).toBeUndefined();
    expect(await store.clients.findByTokenId('t3')).toEqual({
      id: 'alice',
      role: 'admin',
      createdAt: at,
      secretHash: 'h3',
    });
    expect(await store.clients.countByRole('admin')).toBe(2);
    expect(await store.clients.countByRole('client')).toBe(0);
  });

  it('hands out disjoint batches to instances claiming at the same time', async () => {
    await store.keys.insert(key('k1', 'active'));
    for (let i = 0; i < 60; i++) {
      await store.requests.enqueue({
        clientId: 'c',
        data: { i },
        processor: 'notarize',
        fingerprint: String(i),
      });
    }
    const batches = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? store : other).requests.claim(`w${i}`, 10, 60_000),
      ),
    );
    const ids = batches.flat().map((claimed) => claimed.envelope.requestId);
    expect(new Set(ids).size).toBe(ids.length);
    // Whatever a claimer skipped is claimed by the next round; nothing is lost.
    const rest = await store.requests.claim('late', 60, 60_000);
    expect(ids.length + rest.length).toBe(60);
    expect(await store.requests.counts()).toMatchObject({ queued: 0, processing: 60 });
  });

  it('reads times and counters back as numbers', async () => {
    clock.advance(1234);
    const { record } = await store.requests.enqueue({
      clientId: 'c',
      data: { n: 1 },
      processor: 'notarize',
      fingerprint: 'f',
    });
    const read = await other.requests.get(record.requestId);
    expect(read?.createdAt).toEqual(clock.now());
    expect(read?.attempts).toBe(0);
    expect(await other.requests.nextDueAt()).toEqual(clock.now());
    expect((await other.requests.counts()).queued).toBe(1);
  });
});
