import { describe, expect, it } from 'vitest';
import { UUID_PATTERN } from '../../../src/http/schemas.js';
import { newRequestId } from '../../../src/store/request-id.js';

describe('newRequestId', () => {
  it('is a UUID version 7 carrying the millisecond, with the RFC 9562 variant', () => {
    const now = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
    const id = newRequestId(now);
    expect(id).toMatch(new RegExp(UUID_PATTERN));
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
  });

  it('sorts by time, and differs within one millisecond', () => {
    const ids = [newRequestId(1_000), newRequestId(1_000), newRequestId(2_000)];
    expect(new Set(ids).size).toBe(3);
    expect(ids[2]! > ids[0]! && ids[2]! > ids[1]!).toBe(true);
  });

  it('never repeats, across refills of its random pool', () => {
    const ids = new Set(Array.from({ length: 5000 }, () => newRequestId(1_000)));
    expect(ids.size).toBe(5000);
  });
});
