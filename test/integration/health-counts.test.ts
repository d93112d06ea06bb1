import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_COUNTS_REUSE_MS } from '../../src/service/service-api.js';
import { createTestService, type TestService } from '../support/service.js';

/** /health and /metrics count requests by status; checks that come close together share a count. */
describe('queue counts in /health and /metrics', () => {
  let ctx: TestService;
  let counted = 0;

  beforeAll(async () => {
    ctx = await createTestService();
    const queue = ctx.service.store.requests;
    const counts = queue.counts.bind(queue);
    queue.counts = () => {
      counted++;
      return counts();
    };
  });
  afterAll(async () => ctx?.close());

  it('counts once for checks within a second, and again after', async () => {
    const client = { id: 'alice', role: 'client' as const };
    await ctx.service.api.submit(client, { data: 1 });
    const before = counted;
    const [first, second] = await Promise.all([ctx.service.api.health(), ctx.service.api.health()]);
    await ctx.service.api.metrics();
    expect(counted - before).toBe(1);
    expect(second.queue).toEqual(first.queue);
    expect(first.queue.queued + first.queue.processing + first.queue.completed).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, QUEUE_COUNTS_REUSE_MS + 50));
    await ctx.service.api.health();
    expect(counted - before).toBe(2);
  });
});
