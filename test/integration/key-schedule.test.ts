import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyLifecycleScheduler } from '../../src/keys/lifecycle-scheduler.js';
import { ManualClock } from '../support/clock.js';
import { createTestService, type TestService } from '../support/service.js';

const MINUTE = 60_000;
const CONFIG = `keys:
  rotation: { every: PT10M }
  prepublish: PT2M
  jwksMaxAge: PT1M
  tokenLifetime: PT5M
  retain: PT6M
`;

describe('key lifecycle on a schedule (injected clock)', () => {
  let ctx: TestService | undefined;
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });

  async function setup(yaml = CONFIG) {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
    ctx = await createTestService(yaml, clock);
    const { keyManager, store, api } = ctx.service;
    const scheduler = new KeyLifecycleScheduler({
      keyManager,
      keys: store.keys,
      clock,
      prepublishMs: 2 * MINUTE,
      retainMs: 6 * MINUTE,
      logger: pino({ level: 'silent' }),
    });
    const jwksKids = async () => (await api.jwks()).keys.map((key) => key.kid);
    return { clock, keyManager, store, scheduler, jwksKids };
  }

  it('publishes the next key before it signs, rotates on time, and destroys the old key after retention', async () => {
    const { clock, keyManager, store, scheduler, jwksKids } = await setup();
    const first = (await keyManager.getKeyForSigning()).record;
    expect(first.nextRotationAt?.getTime()).toBe(clock.now().getTime() + 10 * MINUTE);

    clock.advance(7 * MINUTE);
    await scheduler.tick();
    expect(await jwksKids()).toEqual([first.kid]);

    clock.advance(1 * MINUTE + 1);
    const delay = await scheduler.tick();
    const pending = await store.keys.list(['pending']);
    expect(pending).toHaveLength(1);
    const next = pending[0]?.kid ?? '';
    expect((await jwksKids()).sort()).toEqual([first.kid, next].sort());
    expect((await keyManager.getKeyForSigning()).record.kid).toBe(first.kid);
    expect(delay).toBeLessThanOrEqual(2 * MINUTE);

    clock.advance(2 * MINUTE);
    await scheduler.tick();
    expect((await keyManager.getKeyForSigning()).record.kid).toBe(next);
    expect((await store.keys.get(first.kid))?.status).toBe('retired');
    expect((await jwksKids()).sort()).toEqual([first.kid, next].sort());

    clock.advance(6 * MINUTE);
    await scheduler.tick();
    const destroyed = await store.keys.get(first.kid);
    expect(destroyed).toMatchObject({ status: 'destroyed', privateKeyRef: '' });
    expect(await jwksKids()).not.toContain(first.kid);
  });

  it('catches up a rotation missed during downtime once, not once per missed interval', async () => {
    const { clock, keyManager, store } = await setup();
    const first = (await keyManager.getKeyForSigning()).record;
    clock.advance(95 * MINUTE);
    const after = await Promise.all([1, 2, 3].map(() => keyManager.getKeyForSigning()));
    expect(new Set(after.map((key) => key.record.kid)).size).toBe(1);
    expect(after[0]?.record.kid).not.toBe(first.kid);
    expect(await store.keys.list()).toHaveLength(2);
    expect(after[0]?.record.nextRotationAt?.getTime()).toBe(clock.now().getTime() + 10 * MINUTE);
  });

  it('rotates after keys.maxSignatures tokens', async () => {
    const { keyManager, store } = await setup(`${CONFIG}  maxSignatures: 3\n`);
    const service = ctx?.service;
    if (!service) throw new Error('no service');
    await service.start();
    const client = { id: 'alice', role: 'client' as const };
    const first = (await keyManager.getKeyForSigning()).record.kid;
    const kids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { record } = await service.api.submit(client, { data: { i } });
      const status = await service.api.status(client, record.requestId, 10_000);
      kids.push(status.signedResponse?.kid ?? '');
    }
    expect(kids.slice(0, 3)).toEqual([first, first, first]);
    expect(kids[3]).not.toBe(first);
    expect((await store.keys.get(first))?.signatures).toBe(3);
  });

  it('records every transition in the audit log with its cause', async () => {
    const { keyManager, store } = await setup();
    const first = (await keyManager.getKeyForSigning()).record.kid;
    const second = (await keyManager.rotateKey(first, 'manual')).kid;
    await keyManager.revoke(second, 'keyCompromise', 'client:admin');
    const rows = await store.db
      .selectFrom('audit_events')
      .select(['action', 'subject', 'actor', 'details'])
      .orderBy('seq')
      .execute();
    const events = rows.map(
      (row) =>
        `${row.action} ${row.subject === first ? 'first' : row.subject === second ? 'second' : 'third'}`,
    );
    expect(events).toEqual([
      'key.created first',
      'key.activated first',
      'key.created second',
      'key.retired first',
      'key.activated second',
      'key.created third',
      'key.revoked second',
      'key.activated third',
    ]);
    expect(rows.find((row) => row.action === 'key.revoked')?.actor).toBe('client:admin');
    expect(rows.find((row) => row.action === 'key.retired')?.details).toContain('"cause":"manual"');
  });
});
