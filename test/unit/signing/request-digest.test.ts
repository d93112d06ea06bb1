import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalDigest } from '../../../src/signing/request-digest.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

describe('canonicalDigest', () => {
  it('digests the RFC 8785 canonical JSON, the same for the same object asked twice', () => {
    const data = { b: 1, a: [1, 'x', { d: null, c: 2.5 }] };
    const expected = sha256('{"a":[1,"x",{"c":2.5,"d":null}],"b":1}');
    expect(canonicalDigest(data)).toBe(expected);
    expect(canonicalDigest(data)).toBe(expected);
    expect(canonicalDigest(JSON.parse(JSON.stringify(data)))).toBe(expected);
  });

  it('gives each object its own digest, and digests values that are not objects', () => {
    expect(canonicalDigest({ n: 1 })).toBe(sha256('{"n":1}'));
    expect(canonicalDigest({ n: 2 })).toBe(sha256('{"n":2}'));
    expect(canonicalDigest([2, 1])).toBe(sha256('[2,1]'));
    expect(canonicalDigest('text')).toBe(sha256('"text"'));
    expect(canonicalDigest(null)).toBe(sha256('null'));
    expect(canonicalDigest(1e21)).toBe(sha256('1e+21'));
  });
});
