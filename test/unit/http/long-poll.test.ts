import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { statusUntilClosing } from '../../../src/http/routes/long-poll.js';
import type { AuthenticatedClient, SignetApi, StatusView } from '../../../src/service/api.js';

const client: AuthenticatedClient = { id: 'alice', role: 'client' };

/** A stand-in for the service: a wait ends when `settle` is called, a read without wait answers at once. */
function api() {
  const waiting = new Map<string, (view: StatusView) => void>();
  const reads: string[] = [];
  const fake = {
    status: (_client: AuthenticatedClient, requestId: string, waitMs: number) => {
      if (waitMs <= 0) {
        reads.push(requestId);
        return Promise.resolve({ requestId, status: 'processing' } as StatusView);
      }
      return new Promise<StatusView>((resolve) => waiting.set(requestId, resolve));
    },
  } as unknown as SignetApi;
  const settle = (requestId: string) =>
    waiting.get(requestId)?.({ requestId, status: 'completed' } as StatusView);
  return { fake, reads, settle };
}

describe('statusUntilClosing', () => {
  it('answers every wait at once when the service starts closing, with one listener on the signal', async () => {
    const closing = new AbortController();
    const { fake, reads } = api();
    const waits = Array.from({ length: 300 }, (_, i) =>
      statusUntilClosing(fake, closing.signal, client, `r${i}`, 60_000),
    );
    expect(getEventListeners(closing.signal, 'abort')).toHaveLength(1);
    closing.abort();
    const views = await Promise.all(waits);
    expect(views.every((view) => view.status === 'processing')).toBe(true);
    expect(reads).toHaveLength(300);
  });

  it('forgets the waits that ended before the close', async () => {
    const closing = new AbortController();
    const { fake, reads, settle } = api();
    const ended = statusUntilClosing(fake, closing.signal, client, 'done', 60_000);
    const pending = statusUntilClosing(fake, closing.signal, client, 'open', 60_000);
    settle('done');
    expect(await ended).toMatchObject({ status: 'completed' });
    closing.abort();
    expect(await pending).toMatchObject({ status: 'processing' });
    // Only the wait still open was read again at the close.
    expect(reads).toEqual(['open']);
  });
});
