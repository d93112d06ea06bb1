import { describe, expect, it } from 'vitest';
import { SignetError } from '../../../src/domain/errors.js';
import { checkRequestData, MAX_DATA_DEPTH } from '../../../src/service/request-data.js';
import { canonicalDigest } from '../../../src/signing/request-digest.js';

const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

function refusal(data: unknown): string | undefined {
  try {
    checkRequestData(data);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(SignetError);
    expect((err as SignetError).code).toBe('ERR_VALIDATION');
    return (err as SignetError).message;
  }
}

describe('checkRequestData', () => {
  it.each([
    ['an overflowing number', JSON.parse('{"a":[1,1e400]}'), /data\/a\/1 is a number out of range/],
    ['a lone high surrogate', JSON.parse('"\\ud800"'), /lone surrogate/],
    ['a lone low surrogate in a key', JSON.parse('{"\\udc00":1}'), /key with a lone surrogate/],
    ['too deep', nested(MAX_DATA_DEPTH + 1), /deeper than 100/],
    ['far too deep', nested(50_000), /deeper than 100/],
  ])('refuses %s', (_name, data, message) => {
    expect(refusal(data)).toMatch(message);
  });

  it.each([
    ['a surrogate pair', '🍣 naïve \u0000'],
    ['the deepest allowed', nested(MAX_DATA_DEPTH)],
    ['big and small numbers', [1e21, -0, 5e-324, Number.MAX_SAFE_INTEGER]],
    ['null', null],
  ])('accepts %s, which canonicalizes', (_name, data) => {
    expect(refusal(data)).toBeUndefined();
    expect(canonicalDigest(data)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
