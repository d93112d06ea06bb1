import { createHash } from 'node:crypto';
import { type ChainInput, type ValidChain, validateChain } from './chain.js';

interface Entry {
  chain: ValidChain;
  /** The instants between which every check of the validation gives the same answer. */
  from: number;
  until: number;
}

const DEFAULT_MAX_ENTRIES = 1_000;

/**
 * Validated certificate chains, so that a key's chain is validated once, not
 * once per signature. A chain's validation depends only on the certificates,
 * the trust anchors, the trust window and the instant `at`; the instant only
 * through validity periods. An entry therefore answers for any instant inside
 * the intersection of those periods and is exactly what `validateChain` would
 * answer there. Failures are not kept: they are rare and worth re-checking.
 */
export class ValidatedChainCache {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  async validate(input: ChainInput): Promise<ValidChain> {
    const key = cacheKey(input);
    const at = input.at.getTime();
    const entry = this.#entries.get(key);
    if (entry && at >= entry.from && at <= entry.until) return entry.chain;
    const chain = await validateChain(input);
    this.#remember(key, {
      chain,
      from: Math.max(
        input.validFrom?.getTime() ?? -Infinity,
        ...chain.path.map((cert) => cert.notBefore.getTime()),
      ),
      until: Math.min(
        input.validTo?.getTime() ?? Infinity,
        ...chain.path.map((cert) => cert.notAfter.getTime()),
      ),
    });
    return chain;
  }

  clear(): void {
    this.#entries.clear();
  }

  #remember(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}

function cacheKey(input: ChainInput): string {
  const hash = createHash('sha256').update(input.chainPem);
  for (const root of input.rootsPem) hash.update('\u0000').update(root);
  hash.update(`\u0000${input.validFrom?.getTime() ?? ''}\u0000${input.validTo?.getTime() ?? ''}`);
  return hash.digest('base64url');
}
