import { buildOcspRequest, parseOcspResponse } from '../ca/ocsp-client.js';
import { checkAlgorithm, checkKeyFits, keyThumbprint } from './algorithms.js';
import { validateChain, type ValidChain } from './chain.js';
import { isSignetClientError, refuse, SignetClientError } from './errors.js';
import type { SafeFetcher } from './fetcher.js';
import { decodeJws, verifyJws } from './jws.js';
import { certificatesFromPem } from './pem.js';
import type { TrustStore } from './trust.js';

export type RevocationMode = 'auto' | 'ocsp' | 'list';

export interface RevocationOutcome {
  /** Where the key's status came from; `none` only when the caller asked for offline mode. */
  source: 'ocsp' | 'list' | 'none';
  checkedAt: Date;
  /** The CAs whose OCSP responders answered "good" (source `ocsp`). */
  caIds?: string[];
  /** The list's URL and sequence number (source `list`). */
  url?: string;
  seq?: number;
  /** Until when this answer holds: the earliest nextUpdate of the OCSP answers, or the list's maximum age. */
  validUntil?: Date;
}

export interface ValidatedCa {
  id: string;
  ocsp: unknown;
  chain: ValidChain;
}

export interface RevocationInput {
  mode: RevocationMode;
  fetcher: SafeFetcher;
  trust: TrustStore;
  algorithms: readonly string[];
  extendedKeyUsages: readonly string[];
  now: Date;
  clockToleranceSec: number;
  listMaxAgeSec: number;
  /** The token's kid, issuer and the CAs whose chains validated (the first is the x5u one). */
  kid: string;
  issuer: string;
  cas: ValidatedCa[];
  revocationsUrl: unknown;
}

export const REVOCATIONS_TYPE = 'signet-revocations+jwt';
const MAX_OCSP_BYTES = 64 * 1024;
const MAX_LIST_BYTES = 1024 * 1024;
const MAX_CHAIN_BYTES = 64 * 1024;
const CHAIN_CACHE_MS = 5 * 60_000;

/** Highest list sequence number seen per list URL: a replayed older list is refused. */
const highestSeq = new Map<string, number>();

/**
 * OCSP at the CAs that validated the token (each answer signed by that CA),
 * then, in `auto` mode, the service's signed revocation list. A revoked
 * answer from any source refuses the token; no answer at all is
 * ERR_REVOCATION_UNKNOWN, never a silent pass.
 */
export async function checkRevocation(input: RevocationInput): Promise<RevocationOutcome> {
  const failures: string[] = [];
  if (input.mode !== 'list') {
    const { good, validUntil } = await checkOcsp(input, failures);
    if (good.length > 0) {
      return {
        source: 'ocsp',
        checkedAt: input.now,
        caIds: good,
        ...(validUntil ? { validUntil } : {}),
      };
    }
  }
  if (input.mode !== 'ocsp') {
    try {
      return await checkList(input);
    } catch (err) {
      if (isSignetClientError(err) && err.code === 'ERR_KEY_REVOKED') throw err;
      failures.push(`revocation list: ${(err as Error).message}`);
    }
  }
  return refuse(
    'ERR_REVOCATION_UNKNOWN',
    `the key's revocation status could not be established (${failures.join('; ')})`,
  );
}

async function checkOcsp(
  input: RevocationInput,
  failures: string[],
): Promise<{ good: string[]; validUntil?: Date }> {
  const good: string[] = [];
  let validUntil: Date | undefined;
  for (const ca of input.cas) {
    const leaf = ca.chain.path[0];
    const issuer = ca.chain.path[1];
    if (!leaf || !issuer) {
      failures.push(`OCSP at ${ca.id}: the chain has no issuer to ask about`);
      continue;
    }
    try {
      const url = input.fetcher.check(ca.ocsp, `OCSP responder of ${ca.id}`);
      const { der, nonce } = buildOcspRequest(leaf.pem, issuer.pem, { nonce: true });
      const body = await input.fetcher.post(url.href, der, {
        what: `OCSP responder of ${ca.id}`,
        contentType: 'application/ocsp-request',
        accept: 'application/ocsp-response',
        maxBytes: MAX_OCSP_BYTES,
      });
      const answer = parseOcspResponse(body, {
        leafPem: leaf.pem,
        issuerPem: issuer.pem,
        ...(nonce ? { nonce } : {}),
        now: input.now,
        clockSkewMs: input.clockToleranceSec * 1000,
      });
      if (answer.status === 'revoked') {
        refuse(
          'ERR_KEY_REVOKED',
          `CA ${ca.id} reports the key ${input.kid} revoked` +
            revokedDetail(answer.revokedAt, answer.reason),
          {
            detail: {
              source: 'ocsp',
              caId: ca.id,
              revokedAt: answer.revokedAt?.toISOString(),
              reason: answer.reason,
            },
          },
        );
      }
      if (answer.status === 'good') {
        good.push(ca.id);
        if (answer.nextUpdate && !(validUntil && validUntil <= answer.nextUpdate)) {
          validUntil = answer.nextUpdate;
        }
      } else failures.push(`OCSP at ${ca.id}: status unknown`);
    } catch (err) {
      if (isSignetClientError(err) && err.code === 'ERR_KEY_REVOKED') throw err;
      failures.push(`OCSP at ${ca.id}: ${(err as Error).message}`);
    }
  }
  return validUntil ? { good, validUntil } : { good };
}

/**
 * The list is signed by the service's current key, whose certificate must
 * chain to the same trusted roots. When that is the very key under scrutiny,
 * the list cannot vouch for it alone: it is trusted because it was fetched
 * fresh (maximum age, increasing `seq`) from the allow-listed origin.
 */
async function checkList(input: RevocationInput): Promise<RevocationOutcome> {
  const url = input.fetcher.check(input.revocationsUrl, 'revocation list');
  const body = await input.fetcher.get(url.href, {
    what: 'revocation list',
    maxBytes: MAX_LIST_BYTES,
    accept: 'application/jwt',
  });
  const jws = Buffer.from(body).toString('utf8').trim();
  const { header, payload } = decodeJws(jws);
  if (header.typ !== REVOCATIONS_TYPE)
    listInvalid(`its typ is "${String(header.typ)}", not ${REVOCATIONS_TYPE}`);
  const alg = checkAlgorithm(header.alg, input.algorithms);
  if (typeof header.kid !== 'string') listInvalid('its header has no kid');
  const iat = payload.iat;
  if (typeof iat !== 'number') listInvalid('it has no iat');
  const signedAt = new Date(iat * 1000);

  const chain = await signerChain(input, url, header.kid, signedAt);
  const key = chain.leaf.node.publicKey;
  if ((await keyThumbprint(key)) !== header.kid)
    listInvalid(`its kid ${header.kid} is not the key of its certificate`);
  checkKeyFits(alg, key);
  await verifyJws(jws, key, { algorithms: [alg] });

  const now = input.now.getTime() / 1000;
  if (payload.iss !== input.issuer)
    listInvalid(`its issuer "${String(payload.iss)}" is not the token's`);
  if (iat > now + input.clockToleranceSec) listInvalid('it is dated in the future');
  if (now - iat > input.listMaxAgeSec + input.clockToleranceSec) {
    listInvalid(`it is older than ${input.listMaxAgeSec} s`);
  }
  const seq = payload.seq;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0)
    listInvalid('its seq is not a counter');
  if (seq < (highestSeq.get(url.href) ?? 0))
    listInvalid(`its seq ${seq} is older than one already seen`);
  if (!Array.isArray(payload.revoked)) listInvalid('it has no "revoked" array');
  const entries = payload.revoked as { kid?: unknown; reason?: unknown; revokedAt?: unknown }[];
  if (entries.some((e) => e?.kid === header.kid))
    listInvalid('it is signed by a key it lists as revoked');
  highestSeq.set(url.href, Math.max(seq, highestSeq.get(url.href) ?? 0));

  const entry = entries.find((e) => e?.kid === input.kid);
  if (entry) {
    const revokedAt = typeof entry.revokedAt === 'string' ? new Date(entry.revokedAt) : undefined;
    const reason = typeof entry.reason === 'string' ? entry.reason : undefined;
    refuse(
      'ERR_KEY_REVOKED',
      `the service's revocation list names the key ${input.kid}` + revokedDetail(revokedAt, reason),
      {
        detail: { source: 'list', url: url.href, revokedAt: entry.revokedAt, reason },
      },
    );
  }
  return {
    source: 'list',
    checkedAt: input.now,
    url: url.href,
    seq,
    validUntil: new Date((iat + input.listMaxAgeSec) * 1000),
  };
}

/** The certificate chain of the list's signer, validated against the same roots. */
async function signerChain(
  input: RevocationInput,
  listUrl: URL,
  kid: string,
  at: Date,
): Promise<ValidChain> {
  const own = input.cas[0];
  if (own && kid === input.kid) return own.chain;
  const reasons: string[] = [];
  for (const ca of input.cas) {
    const location = new URL(
      `certs/${encodeURIComponent(kid)}/${encodeURIComponent(ca.id)}.pem`,
      listUrl,
    );
    try {
      const pem = await input.fetcher.get(location.href, {
        what: 'certificate of the list signer',
        maxBytes: MAX_CHAIN_BYTES,
        cacheTtlMs: CHAIN_CACHE_MS,
      });
      const chain = certificatesFromPem(Buffer.from(pem).toString('utf8'), location.href);
      return validateChain({
        chain,
        trust: input.trust,
        at,
        extendedKeyUsages: input.extendedKeyUsages,
      });
    } catch (err) {
      reasons.push(`${ca.id}: ${(err as Error).message}`);
    }
  }
  return listInvalid(`no certificate of its signer ${kid} validates (${reasons.join('; ')})`);
}

function listInvalid(why: string): never {
  throw new SignetClientError(
    'ERR_REVOCATION_UNKNOWN',
    `the revocation list is not acceptable: ${why}`,
  );
}

function revokedDetail(at: Date | undefined, reason: string | undefined): string {
  const when = at && !Number.isNaN(at.getTime()) ? ` at ${at.toISOString()}` : '';
  return `${when}${reason ? ` (${reason})` : ''}`;
}
