/**
 * Signet client SDK: submit requests, wait for them, and verify tokens.
 * Loads nothing of the server (no Fastify, database or store).
 */
export { SignetClient, requestDigest } from './client.js';
export type {
  RequestOptions,
  SignetClientOptions,
  StatusView,
  SubmitOptions,
  Submitted,
  WaitOptions,
} from './client.js';
export { SignetClientError, isSignetClientError } from './errors.js';
export type { ProtocolErrorCode, SignetClientErrorCode, VerificationErrorCode } from './errors.js';
export { verifyResponseToken } from './verify.js';
export { VerificationCache } from './verification-cache.js';
export type { VerificationCacheOptions } from './verification-cache.js';
export type { CheckedCa, VerifiedToken, VerifyOptions } from './verify.js';
export { verifyWithJwks } from './jwks.js';
export type { JwksVerifiedToken, JwksVerifyOptions } from './jwks.js';
export { verifyJws } from './jws.js';
export type { VerifyJwsOptions } from './jws.js';
export { TrustStore, TRUSTED_ROOT_MEDIA_TYPE, trustedRootDocument } from './trust.js';
export type { TrustAnchor, TrustedRootDocument } from './trust.js';
export { ResponseCache } from './fetcher.js';
export type { FetchFunction } from './fetcher.js';
export { SIGNET_ALGORITHMS } from './algorithms.js';
export { DEFAULT_EXTENDED_KEY_USAGES } from './chain.js';
export { RESPONSE_TYPE } from './claims.js';
export type { ResponseClaims, ResponseHeader } from './claims.js';
export type { RevocationMode, RevocationOutcome } from './revocation.js';
export type { RetryPolicy } from './http.js';
