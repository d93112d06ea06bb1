import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { CfsslCa, cfsslAvailable, stopAllCfssl } from '../support/cfssl.js';
import { caClaim, caId, cfsslYaml, client, request, waitUntil } from '../support/cfssl-service.js';
import { createTestService, type TestService } from '../support/service.js';

const available = await cfsslAvailable();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The health interval of these tests (PT0.5S) plus room for a probe round trip. */
const FAILOVER_MS = 800;

describe.skipIf(!available)('Signet with real cfssl CAs: health and failover', () => {
  const cas: CfsslCa[] = [];
  let ctx: TestService | undefined;
  let app: FastifyInstance | undefined;

  async function startCas(...ids: string[]): Promise<CfsslCa[]> {
    const started = await Promise.all(ids.map((id) => CfsslCa.start(id)));
    for (const ca of started) ca.watch();
    cas.push(...started);
    return started;
  }

  /** Starts Signet on these CAs, with their OCSP answers covering its first key. */
  async function startService(yaml: string, ...used: CfsslCa[]): Promise<TestService> {
    ctx = await createTestService(yaml);
    await ctx.service.start();
    await Promise.all(used.map((ca) => ca.refreshOcsp()));
    app = await buildApp({ api: ctx.service.api, config: ctx.service.config });
    return ctx;
  }

  afterEach(async () => {
    await app?.close();
    await ctx?.close();
    app = undefined;
    ctx = undefined;
  });
  afterAll(async () => {
    await Promise.all(cas.map((ca) => ca.close()));
    await stopAllCfssl();
  });

  it('keeps completing every request when the first CA dies under load, then validates at the next', async () => {
    const [a, b] = await startCas('load-a', 'load-b');
    if (!a || !b) throw new Error('CAs did not start');
    const { service } = await startService(cfsslYaml([a, b]), a, b);
    expect(caClaim((await request(service, { warm: true })).token).map((c) => c.id)).toEqual([
      caId(a),
    ]);

    const submitted: Array<{ id: string; at: number }> = [];
    let killedAt = 0;
    for (let i = 0; i < 36; i++) {
      if (i === 12) {
        await a.stop();
        killedAt = Date.now();
      }
      const { record } = await service.api.submit(client, { data: { i } });
      submitted.push({ id: record.requestId, at: Date.now() });
      await sleep(50);
    }
    const settled = await Promise.all(
      submitted.map((s) => service.api.status(client, s.id, 20_000)),
    );
    expect(settled.map((s) => s.status)).toEqual(submitted.map(() => 'completed'));
    const named = settled.map((s) => caClaim(s.token).map((c) => c.id));
    expect(named[0]).toEqual([caId(a)]);
    const late = named.filter((_, i) => (submitted[i]?.at ?? 0) > killedAt + FAILOVER_MS);
    expect(late.length).toBeGreaterThan(5);
    for (const ids of late) expect(ids).toEqual([caId(b)]);

    const health = await app!.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'degraded' });
    const listed = (await app!.inject({ method: 'GET', url: '/cas' })).json() as {
      cas: Array<{ id: string; healthy: boolean; lastCheck: string | null; lastError: string }>;
    };
    const [viewA, viewB] = listed.cas;
    expect(viewA).toMatchObject({ id: caId(a), healthy: false, type: 'cfssl', url: a.url });
    expect(Date.parse(viewA?.lastCheck ?? '')).toBeGreaterThan(killedAt);
    expect(viewA?.lastError).toMatch(/ECONNREFUSED|refused/i);
    expect(viewB).toMatchObject({ id: caId(b), healthy: true });
    const metrics = (await app!.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`signet_ca_healthy{ca="${caId(a)}"} 0`);
    expect(metrics).toContain(`signet_ca_healthy{ca="${caId(b)}"} 1`);
    const audit = await service.store.db
      .selectFrom('audit_events')
      .select(['action', 'subject'])
      .where('action', '=', 'ca.unhealthy')
      .execute();
    expect(audit).toEqual([{ action: 'ca.unhealthy', subject: caId(a) }]);
  });

  it('holds requests while every CA is down and completes them when one comes back', async () => {
    const [a, b] = await startCas('down-a', 'down-b');
    if (!a || !b) throw new Error('CAs did not start');
    const { service } = await startService(cfsslYaml([a, b]), a, b);
    expect((await request(service, { warm: true })).status).toBe('completed');

    await Promise.all([a.stop(), b.stop()]);
    await waitUntil('every CA is unhealthy', async () =>
      (await service.api.cas()).every((ca) => !ca.healthy),
    );
    const health = await app!.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ status: 'unavailable' });

    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await service.api.submit(client, { data: { i } })).record.requestId);
    }
    await sleep(FAILOVER_MS);
    for (const id of ids) {
      expect((await service.api.status(client, id, 0)).status).not.toMatch(/completed|failed/);
    }

    await b.startAll();
    b.watch();
    const settled = await Promise.all(ids.map((id) => service.api.status(client, id, 15_000)));
    for (const status of settled) {
      expect(status.status).toBe('completed');
      expect(caClaim(status.token).map((c) => c.id)).toEqual([caId(b)]);
    }
  });

  it('fails requests clearly with ERR_CA_UNAVAILABLE when every CA is down and onAllDown is fail', async () => {
    const [c] = await startCas('fail-c');
    if (!c) throw new Error('CA did not start');
    const { service } = await startService(cfsslYaml([c], { onAllDown: 'fail' }), c);
    await c.stop();
    const started = Date.now();
    const status = await request(service, { doomed: true });
    expect(status.status).toBe('failed');
    expect(status.error).toMatch(/^ERR_CA_UNAVAILABLE: .*0 of 1 required CAs/);
    expect(status.error).toContain(caId(c));
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
