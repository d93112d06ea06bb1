import { createPublicKey, type JsonWebKeyInput, KeyObject } from 'node:crypto';
import { compactVerify, errors } from 'jose';
import { checkAlgorithm, checkKeyFits, SIGNET_ALGORITHMS } from './algorithms.js';
import { refuse, SignetClientError } from './errors.js';

export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** Splits and decodes a compact JWS with a JSON object payload, without trusting anything in it. */
export function decodeJws(token: unknown): DecodedJws {
  if (typeof token !== 'string') refuse('ERR_TOKEN_MALFORMED', 'the token is not a string');
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts.some((part) => !SEGMENT.test(part))) {
    refuse('ERR_TOKEN_MALFORMED', 'the token is not a compact JWS (three base64url parts)');
  }
  return {
    header: jsonObject(parts[0] ?? '', 'header'),
    payload: jsonObject(parts[1] ?? '', 'payload'),
  };
}

function jsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    refuse('ERR_TOKEN_MALFORMED', `the ${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    refuse('ERR_TOKEN_MALFORMED', `the ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

export interface VerifyJwsOptions {
  /** Allowed `alg` values (default: the algorithms Signet signs with). `none` and HMAC never are. */
  algorithms?: readonly string[];
}

/**
 * The signature layer alone: checks `alg` against the allow-list and the key,
 * then the signature (RFC 7515) with jose. Returns the protected header and payload bytes.
 */
export async function verifyJws(
  jws: string,
  key: KeyObject | JsonWebKeyInput['key'],
  options: VerifyJwsOptions = {},
): Promise<{ header: Record<string, unknown>; payload: Uint8Array }> {
  const publicKey = key instanceof KeyObject ? key : importJwk(key);
  const parts = typeof jws === 'string' ? jws.trim().split('.') : [];
  if (parts.length !== 3) refuse('ERR_TOKEN_MALFORMED', 'not a compact JWS (three parts)');
  const header = jsonObject(parts[0] ?? '', 'header');
  const alg = checkAlgorithm(header.alg, options.algorithms ?? SIGNET_ALGORITHMS);
  checkKeyFits(alg, publicKey);
  try {
    const { payload } = await compactVerify(jws.trim(), publicKey, { algorithms: [alg] });
    return { header, payload };
  } catch (cause) {
    if (cause instanceof errors.JWSSignatureVerificationFailed) {
      throw new SignetClientError(
        'ERR_SIGNATURE_INVALID',
        'the signature does not verify with the key',
        { cause },
      );
    }
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new SignetClientError('ERR_TOKEN_MALFORMED', `the JWS is not acceptable: ${message}`, {
      cause,
    });
  }
}

function importJwk(jwk: JsonWebKeyInput['key']): KeyObject {
  if ('d' in jwk) refuse('ERR_USAGE', 'a private JWK was given where a public key is expected');
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (cause) {
    return refuse('ERR_USAGE', 'the JWK is not a valid public key', { cause });
  }
}
