import { expect } from 'vitest';
import { SignetClientError, type SignetClientErrorCode } from '../../../src/client/errors.js';

/** Awaits a rejection and checks it is a SignetClientError with this code. */
export async function expectCode(
  promise: Promise<unknown>,
  code: SignetClientErrorCode,
): Promise<SignetClientError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a ${code} refusal`).toBeInstanceOf(SignetClientError);
  expect((err as SignetClientError).code, (err as Error).message).toBe(code);
  return err as SignetClientError;
}

/** Replaces a token's payload claims without re-signing. */
export function withPayload(
  token: string,
  change: (claims: Record<string, unknown>) => void,
): string {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  change(claims);
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
}

/** Replaces a token's protected header without re-signing. */
export function withHeader(
  token: string,
  change: (header: Record<string, unknown>) => void,
): string {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  change(header);
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${s}`;
}
