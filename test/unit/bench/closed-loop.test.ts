import { afterEach, describe, expect, it, vi } from 'vitest';
import { closedLoop, shareInside } from '../../../bench/closed-loop.js';

describe('closed loop', () => {
  afterEach(() => vi.useRealTimers());

  it('counts an operation that straddles the end of the window for its share inside it', async () => {
    // A fake clock, so that every operation takes exactly 150 ms: in a 1 s window
    // six fit whole and the seventh (900-1050 ms) straddles the end, two thirds inside.
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const running = closedLoop({
      concurrency: 1,
      durationMs: 1000,
      warmupMs: 0,
      operation: () => new Promise((resolve) => setTimeout(() => resolve(10), 150)),
    });
    await vi.advanceTimersByTimeAsync(1100);
    const result = await running;
    expect(result.ok).toBe(6);
    expect(result.latencies).toEqual([150, 150, 150, 150, 150, 150]);
    expect(result.allItems).toBe(70);
    // Whole operations alone would give 60.
    expect(result.items).toBeCloseTo(60 + (10 * 100) / 150, 6);
  });

  it('counts the share of an operation inside the window, at either edge', () => {
    expect(shareInside(0, 100, 50, 1000)).toBe(0.5);
    expect(shareInside(900, 1100, 0, 1000)).toBe(0.5);
    expect(shareInside(100, 200, 0, 1000)).toBe(1);
    expect(shareInside(1000, 1100, 0, 1000)).toBe(0);
    expect(shareInside(0, 40, 50, 1000)).toBe(0);
  });
});
