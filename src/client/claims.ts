import type { CALocation } from '../domain/types.js';
import { refuse } from './errors.js';

export const RESPONSE_TYPE = 'signet-response+jwt';

export interface ResponseHeader {
  alg: string;
  kid: string;
  typ: typeof RESPONSE_TYPE;
  x5u: string;
  'x5t#S256': string;
}

export interface ResponseClaims {
  iss: string;
  sub: string;
  jti: string;
  iat: number;
  nbf: number;
  data: unknown;
  req: string;
  ca: CALocation[];
  key: { kid: string; status: string; revocations: string };
}

/** Checks `typ` first (a token of another kind is refused for that reason), then the fields. */
export function readHeader(header: Record<string, unknown>): ResponseHeader {
  if (header.typ !== RESPONSE_TYPE) {
    refuse(
      'ERR_TYP_INVALID',
      `the token's typ is ${JSON.stringify(header.typ)}, not "${RESPONSE_TYPE}"`,
    );
  }
  for (const name of ['kid', 'x5u', 'x5t#S256'] as const) {
    if (typeof header[name] !== 'string' || header[name] === '') {
      refuse('ERR_TOKEN_MALFORMED', `the header has no "${name}"`);
    }
  }
  return header as unknown as ResponseHeader;
}

export function readClaims(payload: Record<string, unknown>): ResponseClaims {
  for (const name of ['iss', 'sub', 'jti', 'req'] as const) {
    if (typeof payload[name] !== 'string')
      refuse('ERR_TOKEN_MALFORMED', `the claim "${name}" is missing`);
  }
  for (const name of ['iat', 'nbf'] as const) {
    if (typeof payload[name] !== 'number' || !Number.isFinite(payload[name])) {
      refuse('ERR_TOKEN_MALFORMED', `the claim "${name}" is not a NumericDate`);
    }
  }
  if (!('data' in payload)) refuse('ERR_TOKEN_MALFORMED', 'the claim "data" is missing');
  const ca = payload.ca;
  if (
    !Array.isArray(ca) ||
    ca.length === 0 ||
    !ca.every(
      (c: Partial<CALocation> | null) =>
        typeof c?.id === 'string' && typeof c.x5u === 'string' && typeof c.ocsp === 'string',
    )
  ) {
    refuse('ERR_TOKEN_MALFORMED', 'the claim "ca" is not a list of {id, x5u, ocsp}');
  }
  const key = payload.key as Partial<ResponseClaims['key']> | undefined;
  if (typeof key?.kid !== 'string' || typeof key.revocations !== 'string') {
    refuse('ERR_TOKEN_MALFORMED', 'the claim "key" is not {kid, status, revocations}');
  }
  return payload as unknown as ResponseClaims;
}
