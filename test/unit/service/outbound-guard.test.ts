import { describe, expect, it } from 'vitest';
import { OutboundGuard, isBlockedAddress } from '../../../src/service/outbound-guard.js';

describe('OutboundGuard', () => {
  const guard = new OutboundGuard(['127.0.0.1']);

  it.each([
    'http://example.com/cb',
    'https://10.1.2.3/cb',
    'https://192.168.0.1/cb',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/cb',
    'https://[fd00::1]/cb',
    'https://user:pw@example.com/cb',
    'ftp://example.com/',
    'not a url',
  ])('refuses %s', (url) => expect(() => guard.check(url)).toThrow());

  it('accepts public https and allow-listed hosts', () => {
    expect(guard.check('https://hooks.example.com/x').hostname).toBe('hooks.example.com');
    expect(guard.check('http://127.0.0.1:9999/cb').port).toBe('9999');
  });

  it('classifies addresses', () => {
    expect(isBlockedAddress('127.0.0.1')).toBe(true);
    expect(isBlockedAddress('::ffff:10.0.0.1')).toBe(true);
    expect(isBlockedAddress('93.184.216.34')).toBe(false);
    expect(isBlockedAddress('2606:2800:220:1::')).toBe(false);
  });

  it('refuses at connection time a name that resolves to a private address', async () => {
    const lookup = new OutboundGuard([]).lookupFor('localhost');
    expect(lookup).toBeDefined();
    const error = await new Promise<Error | null>((resolve) =>
      lookup?.('localhost', {}, (err) => resolve(err)),
    );
    expect(error?.message).toMatch(/private address/);
  });
});
