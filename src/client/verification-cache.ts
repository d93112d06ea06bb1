import type { KeyObject } from 'node:crypto';
import type { RevocationOutcome, ValidatedCa } from './revocation.js';
import type { TrustStore } from './trust.js';

export interface CheckedCa {
  id: string;
  x5u: string;
  /** PEM certificates from the leaf to the trust anchor. */
  chain: string[];
  anchor: string;
}

/** What verifying a token's certificate chains established, for a signing time inside a window. */
export interface CachedChains {
  /** The pinned leaf's key, which fits the token's `alg`. */
  key: KeyObject;
  /** RFC 7638 thumbprint of `key`: the kid it certifies. */
  kid: string;
  validated: ValidatedCa[];
  /** The `cas` of the result. */
  cas: readonly CheckedCa[];
  /** What a revocation answer for these chains depends on (see revocationScope). */
  revocationScope: string;
  /** Signing times (ms) for which every validated chain and anchor window holds. */
  from: number;
  until: number;
}

interface CachedRevocation {
  outcome: RevocationOutcome;
  until: number;
}

export interface VerificationCacheOptions {
  /** Entries of each kind kept (least recently used dropped first); default 1000. */
  maxEntries?: number;
  /**
   * The longest a "not revoked" answer is reused, even when the OCSP answer
   * or the list would allow longer; default 60 s. A revocation is seen at
   * most this late.
   */
  revocationMaxAgeMs?: number;
}

/**
 * Opt-in memory for verifyResponseToken (`options.verificationCache`), for a
 * verifier that checks many tokens of the same keys: certificate chains
 * validated once per x5u, leaf and trust store, and revocation answers ("good")
 * reused until the OCSP answer's nextUpdate or the list's maximum age, capped by
 * `revocationMaxAgeMs`. Every token's own signature and claims are still
 * checked on every call. Pass the same TrustStore object each time: entries
 * are bound to it.
 */
export class VerificationCache {
  readonly #chains = new Map<string, CachedChains>();
  readonly #revocations = new Map<string, CachedRevocation>();
  readonly #maxEntries: number;
  readonly revocationMaxAgeMs: number;

  constructor(options: VerificationCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1000;
    this.revocationMaxAgeMs = options.revocationMaxAgeMs ?? 60_000;
  }

  chains(key: string, signedAt: Date): CachedChains | undefined {
    const entry = this.#chains.get(key);
    const at = signedAt.getTime();
    return entry && at >= entry.from && at <= entry.until ? entry : undefined;
  }

  rememberChains(key: string, entry: CachedChains): void {
    remember(this.#chains, key, entry, this.#maxEntries);
  }

  revocation(key: string, now: Date): RevocationOutcome | undefined {
    const entry = this.#revocations.get(key);
    if (!entry) return undefined;
    if (now.getTime() < entry.until) return entry.outcome;
    this.#revocations.delete(key);
    return undefined;
  }

  rememberRevocation(key: string, outcome: RevocationOutcome, now: Date, validUntil?: Date): void {
    const cap = now.getTime() + this.revocationMaxAgeMs;
    const until = Math.min(cap, validUntil?.getTime() ?? cap);
    if (until > now.getTime())
      remember(this.#revocations, key, { outcome, until }, this.#maxEntries);
  }

  clear(): void {
    this.#chains.clear();
    this.#revocations.clear();
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

const trustIds = new WeakMap<TrustStore, number>();
let nextTrustId = 0;

/** A number per TrustStore object, so that cache keys never mix two stores. */
export function trustId(trust: TrustStore): number {
  let id = trustIds.get(trust);
  if (id === undefined) {
    id = ++nextTrustId;
    trustIds.set(trust, id);
  }
  return id;
}

/** The part of a revocation question fixed by the trust store and the validated chains. */
export function revocationScope(trust: TrustStore, cas: readonly ValidatedCa[]): string {
  return [
    trustId(trust),
    ...cas.map((ca) => `${ca.id} ${JSON.stringify(ca.ocsp)} ${ca.chain.leaf.node.serialNumber}`),
  ].join('\u0000');
}

/** The signing times for which every validated chain (certificates and anchor window) holds. */
export function validityWindow(validated: readonly ValidatedCa[]): { from: number; until: number } {
  let from = -Infinity;
  let until = Infinity;
  for (const { chain } of validated) {
    for (const cert of chain.path) {
      from = Math.max(from, new Date(cert.node.validFrom).getTime());
      until = Math.min(until, new Date(cert.node.validTo).getTime());
    }
    if (chain.anchor.validFrom) from = Math.max(from, chain.anchor.validFrom.getTime());
    if (chain.anchor.validTo) until = Math.min(until, chain.anchor.validTo.getTime());
  }
  return { from, until };
}
