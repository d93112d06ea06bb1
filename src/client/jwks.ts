import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import { checkAlgorithm, SIGNET_ALGORITHMS } from './algorithms.js';
import { readHeader, type ResponseHeader } from './claims.js';
import { isSignetClientError, SignetClientError } from './errors.js';
import { SafeFetcher, type FetchFunction } from './fetcher.js';
import { decodeJws } from './jws.js';

export interface JwksVerifyOptions {
  /** The service's key set, e.g. https://signet.example.com/.well-known/jwks.json. */
  jwksUrl: string;
  /** Needed only to fetch the key set over http: list its origin explicitly. */
  allowOrigins?: readonly string[];
  algorithms?: readonly string[];
  /** Seconds of clock skew accepted on nbf and iat (default 30). */
  clockTolerance?: number;
  issuer?: string;
  subject?: string;
  /** Seconds after `iat` beyond which the token is refused. */
  maxTokenAge?: number;
  /** Milliseconds after a fetch before an unknown kid may trigger another (default 30 s). */
  cooldownDuration?: number;
  /** Milliseconds the key set is kept (default 10 min). */
  cacheMaxAge?: number;
  currentDate?: Date;
  fetch?: FetchFunction;
  timeoutMs?: number;
}

export interface JwksVerifiedToken {
  data: unknown;
  header: ResponseHeader;
  claims: JWTPayload & Record<string, unknown>;
}

const MAX_JWKS_BYTES = 256 * 1024;
type KeySet = ReturnType<typeof createRemoteJWKSet>;
const keySets = new Map<string, KeySet>();

/**
 * For callers that trust the service's JWKS instead of CA roots. The key set
 * is cached; an unknown kid refetches it, at most once per cooldown. Revoked
 * keys leave the JWKS, so a token from a revoked key fails with ERR_KEY_UNKNOWN.
 */
export async function verifyWithJwks(
  token: string,
  options: JwksVerifyOptions,
): Promise<JwksVerifiedToken> {
  const decoded = decodeJws(token);
  const header = readHeader(decoded.header);
  checkAlgorithm(header.alg, options.algorithms ?? SIGNET_ALGORITHMS);
  const tolerance = options.clockTolerance ?? 30;
  const now = options.currentDate ?? new Date();
  const nbf = decoded.payload.nbf;
  if (typeof nbf === 'number' && nbf > now.getTime() / 1000 + tolerance) {
    throw new SignetClientError(
      'ERR_NOT_YET_ACTIVE',
      `the token is active only from ${new Date(nbf * 1000).toISOString()}`,
    );
  }
  try {
    const { payload } = await jwtVerify(token, keySet(options), {
      algorithms: [header.alg],
      typ: header.typ,
      clockTolerance: tolerance,
      currentDate: now,
      requiredClaims: ['iat', 'data'],
      ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
      ...(options.subject !== undefined ? { subject: options.subject } : {}),
      ...(options.maxTokenAge !== undefined ? { maxTokenAge: options.maxTokenAge } : {}),
    });
    return { data: payload.data, header, claims: payload as JwksVerifiedToken['claims'] };
  } catch (err) {
    throw mapJoseError(err);
  }
}

function keySet(options: JwksVerifyOptions): KeySet {
  const fetcher = new SafeFetcher({
    // The caller names the JWKS URL itself; https unless its origin is listed over http.
    allowOrigins: [...(options.allowOrigins ?? []), httpsOrigin(options.jwksUrl)],
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  fetcher.check(options.jwksUrl, 'JWKS URL');
  const cacheKey = JSON.stringify([
    options.jwksUrl,
    options.allowOrigins,
    options.cooldownDuration,
    options.cacheMaxAge,
    Boolean(options.fetch),
  ]);
  let set = keySets.get(cacheKey);
  if (!set || options.fetch) {
    set = createRemoteJWKSet(new URL(options.jwksUrl), {
      cooldownDuration: options.cooldownDuration ?? 30_000,
      cacheMaxAge: options.cacheMaxAge ?? 600_000,
      [customFetch]: async (url) =>
        new Response(
          await fetcher.get(url, {
            what: 'JWKS',
            maxBytes: MAX_JWKS_BYTES,
            accept: 'application/jwk-set+json, application/json',
          }),
          {
            status: 200,
            headers: { 'content-type': 'application/json' },
          },
        ),
    });
    if (!options.fetch) keySets.set(cacheKey, set);
  }
  return set;
}

function httpsOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    return `https://${parsed.host}`;
  } catch {
    throw new SignetClientError('ERR_USAGE', `the JWKS URL "${url}" is not a URL`);
  }
}

function mapJoseError(err: unknown): SignetClientError {
  if (isSignetClientError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const options = { cause: err };
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new SignetClientError(
      'ERR_KEY_UNKNOWN',
      'no single key of the JWKS has this kid and algorithm (unknown, or revoked and withdrawn)',
      options,
    );
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new SignetClientError(
      'ERR_SIGNATURE_INVALID',
      'the signature does not verify with the JWKS key',
      options,
    );
  }
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return new SignetClientError(
      'ERR_FETCH_FAILED',
      `the JWKS could not be used: ${message}`,
      options,
    );
  }
  if (err instanceof errors.JWTClaimValidationFailed && err.reason === 'missing') {
    return new SignetClientError('ERR_TOKEN_MALFORMED', message, options);
  }
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'nbf') {
    return new SignetClientError('ERR_NOT_YET_ACTIVE', message, options);
  }
  if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired) {
    return new SignetClientError('ERR_POLICY', message, options);
  }
  return new SignetClientError('ERR_TOKEN_MALFORMED', message, options);
}
