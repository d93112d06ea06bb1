import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { LocalCertificateAuthority } from '../../src/ca/local-ca.js';
import { buildApp } from '../../src/http/app.js';
import { createTestService, type TestService } from '../support/service.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Phase = 'before' | 'one-down' | 'all-down' | 'after';

/**
 * The built-in CAs fail while clients keep submitting: first local-a (the
 * validator fails over to local-b), then both (requests wait in the queue,
 * /health says 503), then both come back. The CAs' fault switch is
 * in-process only, so the service runs here, behind the real HTTP app.
 */
describe('CA outage and recovery under load', () => {
  let ctx: TestService;
  let app: FastifyInstance;
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  it('accepts throughout, fails over, waits out the full outage and completes everything', async () => {
    ctx = await createTestService(
      [
        'validation: { healthInterval: PT0.3S, onAllDown: retry }',
        'queue: { backoff: PT0.1S, maxBackoff: PT0.5S, maxAttempts: 100 }',
        'server: { rateLimit: { max: 10000000 } }',
      ].join('\n'),
    );
    await ctx.service.start();
    app = await buildApp({ api: ctx.service.api, config: ctx.service.config });
    const token = await ctx.service.tokens.add('alice', 'client');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const [a, b] = ctx.service.cas as unknown as LocalCertificateAuthority[];
    if (!a || !b) throw new Error('two built-in CAs expected');

    let phase: Phase = 'before';
    let stop = false;
    const accepted: { id: string; phase: Phase }[] = [];
    const refused: number[] = [];
    const loop = async (n: number): Promise<void> => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const res = await app.inject({
          method: 'POST',
          url: '/request',
          headers,
          payload: { data: { n, i } },
        });
        if (res.statusCode === 202)
          accepted.push({ id: res.json<{ requestId: string }>().requestId, phase });
        else refused.push(res.statusCode);
        await sleep(5);
      }
    };
    const health = async () => (await app.inject({ url: '/health' })).statusCode;
    const loops = Promise.all([1, 2, 3, 4].map(loop));

    await sleep(500);
    phase = 'one-down';
    a.setAvailable(false);
    await expect
      .poll(async () => (await ctx.service.api.health()).status, { timeout: 5000 })
      .toBe('degraded');
    await sleep(800);

    phase = 'all-down';
    b.setAvailable(false);
    await expect.poll(health, { timeout: 5000 }).toBe(503);
    await sleep(1000);
    const waiting = (await ctx.service.api.health()).queue;
    // Nothing can be signed now: the accepted work waits in the queue.
    expect(waiting.queued + waiting.processing).toBeGreaterThan(0);

    phase = 'after';
    a.setAvailable(true);
    b.setAvailable(true);
    await expect.poll(health, { timeout: 5000 }).toBe(200);
    await sleep(500);
    stop = true;
    await loops;

    expect(refused).toEqual([]);
    for (const p of ['before', 'one-down', 'all-down', 'after'] as const) {
      expect(accepted.filter((r) => r.phase === p).length, p).toBeGreaterThan(0);
    }
    const client = { id: 'alice', role: 'client' as const };
    const results = await Promise.all(
      accepted.map(async (r) => ({
        ...r,
        view: await ctx.service.api.status(client, r.id, 20_000),
      })),
    );
    expect(results.filter((r) => r.view.status !== 'completed').map((r) => r.view)).toEqual([]);
    const caOf = (tokenText: string | undefined) =>
      /\/(local-[ab])\.pem$/.exec(
        (
          JSON.parse(
            Buffer.from((tokenText ?? '').split('.')[0] ?? '', 'base64url').toString(),
          ) as {
            x5u: string;
          }
        ).x5u,
      )?.[1];
    const used = (p: Phase) =>
      new Set(results.filter((r) => r.phase === p).map((r) => caOf(r.view.token)));
    expect(used('before')).toEqual(new Set(['local-a']));
    // While local-a was down, the validator failed over to local-b.
    expect(used('one-down').has('local-b')).toBe(true);
  });
});
