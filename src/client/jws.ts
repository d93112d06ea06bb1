import { createPublicKey, type JsonWebKeyInput, KeyObject } from 'node:crypto';
import { checkAlgorithm, checkKeyFits, SIGNET_ALGORITHMS } from './algorithms.js';
import { refuse, SignetClientError } from './errors.js';
import { signatureHolds } from './signature.js';

/** A compact JWS split into its three base64url segments. Nothing in it is trusted yet. */
export interface CompactJws {
  /** `BASE64URL(header) '.' BASE64URL(payload)`: the bytes the signature covers. */
  signingInput: string;
  header: Record<string, unknown>;
  payloadSegment: string;
  signatureSegment: string;
}

export interface DecodedJws extends CompactJws {
  payload: Record<string, unknown>;
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** Splits and decodes a compact JWS with a JSON object payload, without trusting anything in it. */
export function decodeJws(token: unknown): DecodedJws {
  const { signingInput, header, payloadSegment, signatureSegment } = splitJws(token);
  const payload = jsonObject(payloadSegment, 'payload');
  return { signingInput, header, payloadSegment, signatureSegment, payload };
}

/** The three parts of a compact JWS and its decoded header; the payload is left encoded. */
export function splitJws(token: unknown): CompactJws {
  if (typeof token !== 'string') refuse('ERR_TOKEN_MALFORMED', 'the token is not a string');
  // One token, one spelling (see base64url): white space around it is the caller's to remove.
  if (token !== token.trim()) {
    refuse(
      'ERR_TOKEN_MALFORMED',
      'the token has white space around it: pass the compact JWS alone',
    );
  }
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) notCompact();
  const headerSegment = token.slice(0, first);
  const payloadSegment = token.slice(first + 1, second);
  const signatureSegment = token.slice(second + 1);
  if (!base64url(headerSegment) || !base64url(payloadSegment) || !base64url(signatureSegment)) {
    notCompact();
  }
  return {
    signingInput: token.slice(0, second),
    header: jsonObject(headerSegment, 'header'),
    payloadSegment,
    signatureSegment,
  };
}

function notCompact(): never {
  return refuse(
    'ERR_TOKEN_MALFORMED',
    'the token is not a compact JWS (three parts in canonical, unpadded base64url)',
  );
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Unpadded, canonical base64url: its alphabet only, no length that leaves a
 * lone 6-bit group, and zero bits past the last byte (RFC 4648 §3.5). Node's
 * decoder ignores those bits, so without the last check one signature has
 * several spellings (16 for Ed25519's 86 characters) that all verify, and a
 * list that keeps tokens by their text (replays, revocations) can be evaded.
 */
function base64url(segment: string): boolean {
  const partial = segment.length % 4;
  if (partial === 1 || !SEGMENT.test(segment)) return false;
  if (partial === 0) return true;
  const last = ALPHABET.indexOf(segment.charAt(segment.length - 1));
  return (last & (partial === 2 ? 0b1111 : 0b11)) === 0;
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

/**
 * Checks the signature of `jws` (RFC 7515 §5.2) for `alg`, which the caller
 * has already matched against its allow-list, the header and the key.
 * Critical header extensions are never understood, so a header with `crit`
 * is refused (§4.1.11).
 */
export async function checkSignature(jws: CompactJws, alg: string, key: KeyObject): Promise<void> {
  if (jws.header.crit !== undefined) {
    refuse(
      'ERR_TOKEN_MALFORMED',
      'the header lists critical extensions ("crit"), none is supported',
    );
  }
  let holds: boolean;
  try {
    holds = await signatureHolds(
      alg,
      key,
      Buffer.from(jws.signingInput, 'ascii'),
      Buffer.from(jws.signatureSegment, 'base64url'),
    );
  } catch (cause) {
    throw new SignetClientError('ERR_SIGNATURE_INVALID', 'the signature could not be checked', {
      cause,
    });
  }
  if (!holds) refuse('ERR_SIGNATURE_INVALID', 'the signature does not verify with the key');
}

export interface VerifyJwsOptions {
  /** Allowed `alg` values (default: the algorithms Signet signs with). `none` and HMAC never are. */
  algorithms?: readonly string[];
}

/**
 * The signature layer alone: checks `alg` against the allow-list and the key,
 * then the signature (RFC 7515). Returns the protected header and payload bytes.
 */
export async function verifyJws(
  jws: string,
  key: KeyObject | JsonWebKeyInput['key'],
  options: VerifyJwsOptions = {},
): Promise<{ header: Record<string, unknown>; payload: Uint8Array }> {
  const publicKey = key instanceof KeyObject ? key : importJwk(key);
  const compact = splitJws(jws);
  const alg = checkAlgorithm(compact.header.alg, options.algorithms ?? SIGNET_ALGORITHMS);
  checkKeyFits(alg, publicKey);
  await checkSignature(compact, alg, publicKey);
  return {
    header: compact.header,
    payload: new Uint8Array(Buffer.from(compact.payloadSegment, 'base64url')),
  };
}

function importJwk(jwk: JsonWebKeyInput['key']): KeyObject {
  if ('d' in jwk) refuse('ERR_USAGE', 'a private JWK was given where a public key is expected');
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (cause) {
    return refuse('ERR_USAGE', 'the JWK is not a valid public key', { cause });
  }
}
