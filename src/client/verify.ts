import { createHash } from 'node:crypto';
import { checkAlgorithm, checkKeyFits, keyThumbprint, SIGNET_ALGORITHMS } from './algorithms.js';
import { loadChain, validateCas, type ChainSource } from './ca-chains.js';
import { DEFAULT_EXTENDED_KEY_USAGES } from './chain.js';
import { checkActivation, checkKids, checkPolicy } from './claim-checks.js';
import { readClaims, readHeader, type ResponseClaims, type ResponseHeader } from './claims.js';
import { refuse } from './errors.js';
import { SafeFetcher, type FetchFunction, type ResponseCache } from './fetcher.js';
import { checkSignature, decodeJws, type CompactJws } from './jws.js';
import type { Certificate } from './pem.js';
import {
  checkRevocation,
  type RevocationInput,
  type RevocationMode,
  type RevocationOutcome,
} from './revocation.js';
import { TrustStore } from './trust.js';
import {
  revocationScope,
  trustId,
  validityWindow,
  type CachedChains,
  type CheckedCa,
  type VerificationCache,
} from './verification-cache.js';

export type { CheckedCa } from './verification-cache.js';

export interface VerifyOptions {
  /** Trusted CA roots: a TrustStore, or PEM texts (each may hold several certificates). */
  trust: TrustStore | readonly string[];
  /** Origins the verifier may connect to (x5u, OCSP, revocation list). https unless listed as http. */
  allowOrigins?: readonly string[];
  /** Chains already at hand, by their x5u URL: used instead of fetching (no connection, no allow-list). */
  certificates?: Readonly<Record<string, string>>;
  /** Skip the revocation check. Must be asked for explicitly; the result says `source: 'none'`. */
  offline?: boolean;
  /** `auto` (default): OCSP at the CAs, then the service's revocation list. */
  revocation?: RevocationMode;
  algorithms?: readonly string[];
  /** Seconds of clock skew accepted on nbf, iat and OCSP times (default 30). */
  clockTolerance?: number;
  /** How many distinct CAs of the `ca` claim must validate (default 1). */
  requireCAs?: number;
  issuer?: string;
  subject?: string;
  /** Seconds after `iat` beyond which the token is refused. */
  maxTokenAge?: number;
  /** Seconds a revocation list may be old (default 600). */
  revocationListMaxAge?: number;
  /** Accepted purposes when the leaf has an extended key usage extension. */
  extendedKeyUsages?: readonly string[];
  currentDate?: Date;
  fetch?: FetchFunction;
  /** Per request (default 5000 ms). */
  timeoutMs?: number;
  cache?: ResponseCache;
  /** Reuse validated chains and revocation answers across calls (see VerificationCache). */
  verificationCache?: VerificationCache;
}

export interface VerifiedToken {
  /** The compact token that was verified. */
  token: string;
  data: unknown;
  header: ResponseHeader;
  claims: ResponseClaims;
  signedAt: Date;
  /** The CAs whose chains validated; the first is the one named by x5u. */
  cas: CheckedCa[];
  revocation: RevocationOutcome;
}

/**
 * The client flow of the contract: decode; typ and alg; activation; x5u
 * (allow-listed) and x5t#S256; kid and signature with the pinned leaf's key;
 * the chains against the trusted roots at the signing time (the x5u one, or
 * another CA of the `ca` claim, as many as the policy asks); revocation;
 * the policy. The signature comes before the chains and revocation so that
 * no claim steers a connection before it is authenticated.
 */
export async function verifyResponseToken(
  token: string,
  options: VerifyOptions,
): Promise<VerifiedToken> {
  const now = options.currentDate ?? new Date();
  const tolerance = options.clockTolerance ?? 30;
  const algorithms = options.algorithms ?? SIGNET_ALGORITHMS;
  const extendedKeyUsages = options.extendedKeyUsages ?? DEFAULT_EXTENDED_KEY_USAGES;
  const trust =
    options.trust instanceof TrustStore ? options.trust : TrustStore.fromPem(options.trust);
  const fetcher = new SafeFetcher({
    allowOrigins: options.allowOrigins ?? [],
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
  });

  const jws = decodeJws(token);
  const header = readHeader(jws.header);
  const alg = checkAlgorithm(header.alg, algorithms);
  const claims = readClaims(jws.payload);
  checkActivation(claims, now, tolerance);
  const signedAt = new Date(claims.iat * 1000);

  const primary = claims.ca.find((ca) => ca.x5u === header.x5u);
  if (!primary) refuse('ERR_TOKEN_MALFORMED', 'x5u is not among the locations of the "ca" claim');
  const required = options.requireCAs ?? 1;
  const memo = options.verificationCache;
  const chainKey = memo ? chainsKey(trust, header, alg, required, extendedKeyUsages, claims) : '';
  let chains = memo?.chains(chainKey, signedAt);
  if (chains) {
    // This leaf's chains were validated before and hold at this signing time; its key fits alg.
    checkKids(header, claims, chains.kid);
    await checkSignature(jws, alg, chains.key);
  } else {
    chains = await establishChains(jws, {
      header,
      claims,
      alg,
      primary,
      source: { fetcher, supplied: options.certificates },
      trust,
      signedAt,
      extendedKeyUsages,
      required,
    });
    memo?.rememberChains(chainKey, chains);
  }

  const revocation: RevocationOutcome = options.offline
    ? { source: 'none', checkedAt: now }
    : await revocationOf(memo, chains.revocationScope, {
        mode: options.revocation ?? 'auto',
        fetcher,
        trust,
        algorithms,
        extendedKeyUsages,
        now,
        clockToleranceSec: tolerance,
        listMaxAgeSec: options.revocationListMaxAge ?? 600,
        kid: header.kid,
        issuer: claims.iss,
        cas: chains.validated,
        revocationsUrl: claims.key.revocations,
      });

  checkPolicy(claims, options, now, tolerance);
  const cas = chains.cas.map((ca) => ({ ...ca, chain: [...ca.chain] }));
  return { token: token.trim(), data: claims.data, header, claims, signedAt, cas, revocation };
}

interface ChainsInput {
  header: ResponseHeader;
  claims: ResponseClaims;
  alg: string;
  primary: ResponseClaims['ca'][number];
  source: ChainSource;
  trust: TrustStore;
  signedAt: Date;
  extendedKeyUsages: readonly string[];
  required: number;
}

/**
 * The x5u chain, its leaf pinned by x5t#S256, its key fitting alg and
 * matching kid, the token's signature with that key, then the chains of as
 * many CAs as required: everything verifying a token establishes about its
 * leaf, apart from revocation.
 */
async function establishChains(jws: CompactJws, input: ChainsInput): Promise<CachedChains> {
  const { header, claims, alg, primary, trust } = input;
  const chain = await loadChain(header.x5u, 'x5u', input.source);
  const leaf = chain[0] as Certificate;
  const thumbprint = createHash('sha256').update(leaf.der).digest('base64url');
  if (thumbprint !== header['x5t#S256']) {
    refuse(
      'ERR_THUMBPRINT_MISMATCH',
      `the certificate at x5u has thumbprint ${thumbprint}, the header says ${header['x5t#S256']}`,
    );
  }
  const key = leaf.node.publicKey;
  checkKeyFits(alg, key);
  const kid = await keyThumbprint(key);
  checkKids(header, claims, kid);
  await checkSignature(jws, alg, key);

  const validated = await validateCas({
    ...input.source,
    claims,
    primary: { id: primary.id, ocsp: primary.ocsp, chain },
    trust,
    signedAt: input.signedAt,
    extendedKeyUsages: input.extendedKeyUsages,
    required: input.required,
  });
  const cas: CheckedCa[] = validated.map((ca) => ({
    id: ca.id,
    x5u: claims.ca.find((c) => c.id === ca.id)?.x5u ?? header.x5u,
    chain: ca.chain.path.map((c) => c.pem),
    anchor: ca.chain.anchor.certificate.parsed.subject,
  }));
  return {
    key,
    kid,
    validated,
    cas,
    revocationScope: revocationScope(trust, validated),
    ...validityWindow(validated),
  };
}

/** What a validation of a token's chains depends on, besides its signing time. */
function chainsKey(
  trust: TrustStore,
  header: ResponseHeader,
  alg: string,
  required: number,
  extendedKeyUsages: readonly string[],
  claims: ResponseClaims,
): string {
  return [
    trustId(trust),
    header.x5u,
    header['x5t#S256'],
    alg,
    required,
    extendedKeyUsages.join(','),
    JSON.stringify(claims.ca),
  ].join('\u0000');
}

/** The revocation check, or an earlier "not revoked" answer for the same question while it holds. */
function revocationOf(
  memo: VerificationCache | undefined,
  scope: string,
  input: RevocationInput,
): RevocationOutcome | Promise<RevocationOutcome> {
  if (!memo) return checkRevocation(input);
  const key = [
    scope,
    input.mode,
    input.kid,
    input.issuer,
    JSON.stringify(input.revocationsUrl),
    input.listMaxAgeSec,
  ].join('\u0000');
  const known = memo.revocation(key, input.now);
  if (known) return known;
  return checkRevocation(input).then((outcome) => {
    memo.rememberRevocation(key, outcome, input.now, outcome.validUntil);
    return outcome;
  });
}
