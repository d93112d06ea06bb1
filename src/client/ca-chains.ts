import { validateChain, type ValidChain } from './chain.js';
import type { ResponseClaims } from './claims.js';
import { isSignetClientError, refuse, SignetClientError } from './errors.js';
import type { SafeFetcher } from './fetcher.js';
import { certificatesFromPem, type Certificate } from './pem.js';
import type { ValidatedCa } from './revocation.js';
import type { TrustStore } from './trust.js';

const MAX_CHAIN_BYTES = 64 * 1024;
const CHAIN_CACHE_MS = 5 * 60_000;

export interface ChainSource {
  fetcher: SafeFetcher;
  /** Chains at hand, by x5u: used instead of fetching. */
  supplied: Readonly<Record<string, string>> | undefined;
}

/** The PEM chain at `location`, from the caller's chains or fetched (allow-listed, capped, cached). */
export async function loadChain(
  location: string,
  what: string,
  source: ChainSource,
): Promise<Certificate[]> {
  const local = source.supplied?.[location];
  if (local !== undefined) return certificatesFromPem(local, `the chain supplied for ${location}`);
  const body = await source.fetcher.get(location, {
    what,
    maxBytes: MAX_CHAIN_BYTES,
    accept: 'application/pem-certificate-chain',
    cacheTtlMs: CHAIN_CACHE_MS,
  });
  return certificatesFromPem(Buffer.from(body).toString('utf8'), `the chain at ${location}`);
}

export interface CaChainsInput extends ChainSource {
  claims: ResponseClaims;
  /** The CA whose location is the header's x5u, and its chain (leaf pinned by x5t#S256). */
  primary: { id: string; ocsp: string; chain: Certificate[] };
  trust: TrustStore;
  signedAt: Date;
  extendedKeyUsages: readonly string[];
  required: number;
}

/**
 * The CAs of the `ca` claim whose chains validate, the x5u one first. Any one
 * suffices unless `required` asks for more; another CA's chain counts only if
 * it certifies the very key of the pinned leaf and ends at another root. When
 * none validates, the x5u chain's own reason is the answer.
 */
export async function validateCas(input: CaChainsInput): Promise<ValidatedCa[]> {
  const validated: ValidatedCa[] = [];
  const failures: string[] = [];
  let primaryError: SignetClientError | undefined;
  try {
    validated.push({ ...input.primary, chain: validate(input.primary.chain, input) });
  } catch (err) {
    if (!isSignetClientError(err)) throw err;
    primaryError = err;
    failures.push(`${input.primary.id}: ${err.message}`);
  }
  const spki = spkiOf(input.primary.chain[0] as Certificate);
  for (const ca of input.claims.ca) {
    if (validated.length >= input.required) break;
    if (ca.id === input.primary.id || validated.some((v) => v.id === ca.id)) continue;
    try {
      const chain = validate(await loadChain(ca.x5u, `x5u of CA ${ca.id}`, input), input);
      if (!spkiOf(chain.leaf).equals(spki)) throw new Error('its certificate is for another key');
      const anchor = chain.anchor.certificate.der;
      if (validated.some((v) => v.chain.anchor.certificate.der.equals(anchor))) {
        throw new Error('it chains to a root already counted');
      }
      validated.push({ id: ca.id, ocsp: ca.ocsp, chain });
    } catch (err) {
      failures.push(`${ca.id}: ${(err as Error).message}`);
    }
  }
  if (validated.length === 0 && primaryError) throw primaryError;
  if (validated.length < input.required) {
    refuse(
      'ERR_POLICY',
      `${input.required} CAs required, ${validated.length} validated (${failures.join('; ')})`,
    );
  }
  return validated;
}

function validate(chain: Certificate[], input: CaChainsInput): ValidChain {
  return validateChain({
    chain,
    trust: input.trust,
    at: input.signedAt,
    extendedKeyUsages: input.extendedKeyUsages,
  });
}

function spkiOf(cert: Certificate): Buffer {
  return cert.node.publicKey.export({ type: 'spki', format: 'der' });
}
