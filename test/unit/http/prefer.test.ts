import { describe, expect, it } from 'vitest';
import { preferredWaitSeconds } from '../../../src/http/prefer.js';

describe('Prefer: wait (RFC 7240)', () => {
  it.each([
    [undefined, 0],
    ['wait=5', 5],
    ['WAIT = 7', 7],
    ['wait="3"', 3],
    ['respond-async, wait=10', 10],
    ['return=minimal; foo=bar, wait=2; x=y', 2],
    [['handling=lenient', 'wait=4'], 4],
    ['wait=-1', 0],
    ['wait=abc', 0],
    ['wait', 0],
    ['wait=1234567890', 0],
    ['respond-async', 0],
  ])('%j → %i', (header, seconds) => {
    expect(preferredWaitSeconds(header)).toBe(seconds);
  });
});
