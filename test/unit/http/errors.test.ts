import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SignetError } from '../../../src/domain/errors.js';
import { TOKENS } from './stub-api.js';
import { bearer, expectProblem, makeApp, type Harness } from './harness.js';

describe('http: error mapping', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.app.close();
    h = undefined;
  });

  it('maps a SignetError to its httpStatus and code, with its message as detail', async () => {
    h = await makeApp();
    const cases = [
      new SignetError('ERR_UNKNOWN_PROCESSOR', 'no processor "x"'),
      new SignetError('ERR_IDEMPOTENCY_MISMATCH', 'key reused with another body'),
      new SignetError('ERR_CONFLICT', 'busy'),
    ];
    for (const error of cases) {
      h.api.fault = error;
      const res = await h.app.inject({
        method: 'POST',
        url: '/request',
        headers: bearer('alice'),
        payload: { data: 1 },
      });
      const body = expectProblem(res, error.httpStatus, error.code);
      expect(body.detail).toBe(error.message);
      expect(body.type).toBe(`urn:signet:error:${error.code}`);
      expect(body.instance).toBe('/request');
    }
  });

  it('keeps the code but hides the message of a 5xx SignetError', async () => {
    h = await makeApp();
    h.api.fault = new SignetError('ERR_CA_UNAVAILABLE', 'cfssl at 10.0.0.7:8888 refused');
    const body = expectProblem(await h.app.inject({ url: '/cas' }), 503, 'ERR_CA_UNAVAILABLE');
    expect(body.detail).not.toContain('10.0.0.7');
  });

  it('answers an unexpected Error with 500 ERR_INTERNAL, a generic detail and a server-side log', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    h = await makeApp({}, { level: 'info', stream });
    h.api.fault = new Error('database password is hunter2');
    const res = await h.app.inject({ url: '/health' });
    const body = expectProblem(res, 500, 'ERR_INTERNAL');
    expect(res.body).not.toContain('hunter2');
    expect(body.detail).toMatch(/internal error/i);
    expect(lines.join('')).toContain('hunter2');
  });

  it('never logs the Authorization header or the body', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    h = await makeApp({}, { level: 'trace', stream });
    await h.app.inject({
      method: 'POST',
      url: '/request',
      headers: bearer('alice'),
      payload: { data: 'top-secret-payload' },
    });
    // Anything that logs a request's headers or a body is redacted too.
    h.app.log.info({ req: { headers: { authorization: `Bearer ${TOKENS.bob}` }, body: 'x' } });
    h.app.log.info({ body: 'top-secret-payload' });
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(2);
    expect(log).not.toContain(TOKENS.alice);
    expect(log).not.toContain(TOKENS.bob);
    expect(log).not.toContain('top-secret-payload');
    expect(log).toContain('[redacted]');
  });
});
