import { afterEach, describe, expect, it, vi } from 'vitest';
import { CompletionWaiter, type SettledView } from '../../../src/service/completion-waiter.js';

const view = (requestId: string): SettledView => ({
  clientId: 'alice',
  view: { requestId, status: 'completed', token: `token-${requestId}` },
});

describe('CompletionWaiter', () => {
  afterEach(() => vi.useRealTimers());

  it('hands the settled view to a waiter, and keeps it only when no one was waiting', async () => {
    const waiter = new CompletionWaiter();
    const waiting = waiter.wait('r1', 5_000);
    waiter.settled('r1', view('r1'));
    expect(await waiting).toEqual(view('r1'));
    // Its client has it; a later read goes to the store.
    expect(waiter.recent('r1')).toBeUndefined();
    waiter.settled('r2', view('r2'));
    expect(waiter.recent('r2')).toEqual(view('r2'));
    expect(waiter.recent('r3')).toBeUndefined();
  });

  it('forgets a settlement after 30 s', () => {
    vi.useFakeTimers();
    const waiter = new CompletionWaiter();
    waiter.settled('r1', view('r1'));
    vi.advanceTimersByTime(29_000);
    expect(waiter.recent('r1')).toBeDefined();
    vi.advanceTimersByTime(2_000);
    expect(waiter.recent('r1')).toBeUndefined();
  });

  it('keeps the latest 4096 settlements at most', () => {
    const waiter = new CompletionWaiter();
    for (let n = 0; n <= 4096; n++) waiter.settled(`r${n}`, view(`r${n}`));
    expect(waiter.recent('r0')).toBeUndefined();
    expect(waiter.recent('r1')).toBeDefined();
    expect(waiter.recent('r4096')).toBeDefined();
  });

  it('keeps them within 32 MiB whatever the size of the data', () => {
    const waiter = new CompletionWaiter();
    const big = (requestId: string): SettledView => ({
      clientId: 'alice',
      view: { requestId, status: 'completed', token: 'x'.repeat(5 * 1024 * 1024) },
    });
    for (const id of ['a', 'b', 'c', 'd']) waiter.settled(id, big(id));
    expect(waiter.recent('a')).toBeUndefined();
    expect(waiter.recent('b')).toBeDefined();
    expect(waiter.recent('d')).toBeDefined();
    const huge = {
      clientId: 'alice',
      view: { ...big('e').view, token: 'x'.repeat(17 * 1024 * 1024) },
    };
    waiter.settled('e', huge);
    expect(waiter.recent('e')).toBeUndefined();
    expect(waiter.recent('d')).toBeDefined();
  });

  it('remembers nothing for a settlement without a view (settled elsewhere)', () => {
    const waiter = new CompletionWaiter();
    waiter.settled('r1');
    expect(waiter.recent('r1')).toBeUndefined();
  });

  it('wakes every wait of the settled request, and only those; close ends the rest', async () => {
    const waiter = new CompletionWaiter();
    const first = waiter.wait('r1', 5_000);
    const second = waiter.wait('r1', 5_000);
    let otherDone = false;
    const other = waiter.wait('r2', 5_000).then((settled) => {
      otherDone = true;
      return settled;
    });
    waiter.settled('r1', view('r1'));
    expect(await first).toEqual(view('r1'));
    expect(await second).toEqual(view('r1'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(otherDone).toBe(false);

    waiter.close();
    expect(await other).toBeUndefined();
    expect(waiter.closed).toBe(true);
    expect(await waiter.wait('r3', 5_000)).toBeUndefined();
  });

  it('ends a wait at its deadline, and a later settlement still reaches new waits', async () => {
    vi.useFakeTimers();
    const waiter = new CompletionWaiter();
    const early = waiter.wait('r1', 1_000);
    vi.advanceTimersByTime(1_000);
    expect(await early).toBeUndefined();
    const late = waiter.wait('r1', 1_000);
    waiter.settled('r1', view('r1'));
    expect(await late).toEqual(view('r1'));
  });
});
