import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RequestEnvelope } from '../../../src/domain/types.js';
import { NotarizeProcessor } from '../../../src/processors/notarize.js';
import { ManualClock } from '../../support/clock.js';

const sha256url = (text: string): string =>
  createHash('sha256').update(text, 'utf8').digest('base64url');

const envelope = (data: unknown): RequestEnvelope => ({
  requestId: '0b0c7c52-6a0a-4f55-8d2e-6f2f7a3c9a10',
  clientId: 'alice',
  data,
  processor: 'notarize',
  receivedAt: new Date(0),
});

interface Notarized {
  request: unknown;
  digest: { alg: string; jcs: boolean; value: string };
  notarizedAt: string;
}

describe('NotarizeProcessor', () => {
  it('digests the RFC 8785 canonical form and stamps the injected clock time', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 14, 15, 9, 26, 535));
    const processor = new NotarizeProcessor(clock);
    const data = { b: 1, a: [1, 'x'] };

    const result = (await processor.run(envelope(data))) as Notarized;

    expect(result).toEqual({
      request: { b: 1, a: [1, 'x'] },
      digest: { alg: 'SHA-256', jcs: true, value: sha256url('{"a":[1,"x"],"b":1}') },
      notarizedAt: '2026-03-14T15:09:26.535Z',
    });
    // Not the digest of the text as it was sent.
    expect(result.digest.value).not.toBe(sha256url(JSON.stringify(data)));
  });

  it('the time follows the clock, the digest does not', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const processor = new NotarizeProcessor(clock);
    const first = (await processor.run(envelope({ x: 1 }))) as Notarized;
    clock.advance(90_000);
    const second = (await processor.run(envelope({ x: 1 }))) as Notarized;
    expect(first.notarizedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(second.notarizedAt).toBe('2026-01-01T00:01:30.000Z');
    expect(second.digest.value).toBe(first.digest.value);
  });

  it('key order does not change the digest; values do', async () => {
    const processor = new NotarizeProcessor(new ManualClock());
    const digest = async (data: unknown): Promise<string> =>
      ((await processor.run(envelope(data))) as Notarized).digest.value;
    expect(await digest({ a: 1, b: { d: 2, c: 3 } })).toBe(
      await digest({ b: { c: 3, d: 2 }, a: 1 }),
    );
    expect(await digest({ a: 1 })).not.toBe(await digest({ a: '1' }));
    expect(await digest([1, 2])).not.toBe(await digest([2, 1]));
  });

  // RFC 8785, section 3.2.2 (sample input and its canonical output).
  it('matches the RFC 8785 sample: numbers, string escapes, literals', async () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        '"literals":[null,true,false]}',
    ) as unknown;
    const canonical =
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
    const result = (await new NotarizeProcessor(new ManualClock()).run(
      envelope(input),
    )) as Notarized;
    expect(result.digest.value).toBe(sha256url(canonical));
  });

  // RFC 8785, section 3.2.3: properties sorted by UTF-16 code units.
  it('sorts properties by UTF-16 code units (RFC 8785 sample)', async () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    const canonical = `{${order
      .map((key) => `${JSON.stringify(key)}:${JSON.stringify(input[key as keyof typeof input])}`)
      .join(',')}}`;
    const result = (await new NotarizeProcessor(new ManualClock()).run(
      envelope(input),
    )) as Notarized;
    expect(result.digest.value).toBe(sha256url(canonical));
  });
});
