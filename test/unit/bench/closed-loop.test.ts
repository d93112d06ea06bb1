import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { closedLoop, shareInside } from '../../../bench/closed-loop.js';

describe('closed loop', () => {
  it('counts an operation that straddles the end of the window for its share inside it', async () => {
    // One loop of 150 ms operations in a 1 s window: six fit whole, the seventh
    // straddles the end. Counting whole operations only would give 6 × 10 items.
    const opMs = 150;
    const result = await closedLoop({
      concurrency: 1,
      durationMs: 1000,
      warmupMs: 0,
      operation: async () => {
        await sleep(opMs);
        return 10;
      },
    });
    expect(result.latencies).toHaveLength(result.ok);
    expect(result.allItems).toBe(10 * (result.ok + 1));
    // A loop is never idle in the window, so it holds 1000 ms of operations of
    // about their mean duration (timers are late, never early). Whole operations
    // alone would give 60 items here.
    const meanMs = result.latencies.reduce((sum, ms) => sum + ms, 0) / result.ok;
    expect(meanMs).toBeGreaterThanOrEqual(opMs - 1);
    expect(Math.abs(result.items - (10 * 1000) / meanMs)).toBeLessThan(1.5);
  });

  it('counts the share of an operation inside the window, at either edge', () => {
    expect(shareInside(0, 100, 50, 1000)).toBe(0.5);
    expect(shareInside(900, 1100, 0, 1000)).toBe(0.5);
    expect(shareInside(100, 200, 0, 1000)).toBe(1);
    expect(shareInside(1000, 1100, 0, 1000)).toBe(0);
    expect(shareInside(0, 40, 50, 1000)).toBe(0);
  });
});
