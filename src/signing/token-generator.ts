import type { JWSHeaderParameters } from 'jose';
import { SignetError } from '../domain/errors.js';
import type { LoadedKey } from '../domain/ports.js';
import type { CALocation, RequestEnvelope, SignedResponse } from '../domain/types.js';
import { canonicalDigest } from './request-digest.js';

export const TOKEN_TYPE = 'signet-response+jwt';

export interface TokenContent {
  header: JWSHeaderParameters;
  claims: Record<string, unknown>;
}

export interface PrimaryCertificate {
  x5u: string;
  x5tS256: string;
}

/** Shapes the token (header and claims, as the contract says) and packages the signed result. */
export class TokenGenerator {
  constructor(private readonly publicUrl: string) {}

  content(args: {
    envelope: RequestEnvelope;
    data: unknown;
    key: LoadedKey;
    primary: PrimaryCertificate;
    caLocations: CALocation[];
    now: Date;
  }): TokenContent {
    const { envelope, key, now } = args;
    const seconds = Math.floor(now.getTime() / 1000);
    return {
      header: {
        alg: key.record.algorithm,
        kid: key.record.kid,
        typ: TOKEN_TYPE,
        x5u: args.primary.x5u,
        'x5t#S256': args.primary.x5tS256,
      },
      claims: {
        iss: this.publicUrl,
        sub: envelope.clientId,
        jti: envelope.requestId,
        iat: seconds,
        nbf: seconds,
        data: args.data,
        req: canonicalDigest(envelope.data),
        ca: args.caLocations,
        key: {
          kid: key.record.kid,
          status: key.record.status,
          revocations: `${this.publicUrl}/revocations`,
        },
      },
    };
  }

  /** The token is the compact JWS whose signature and kid the SignedResponse names. */
  package(signed: SignedResponse, jws: string): string {
    const [encodedHeader, , signature] = jws.split('.');
    const header = JSON.parse(Buffer.from(encodedHeader ?? '', 'base64url').toString('utf8')) as {
      kid?: string;
    };
    if (signature !== signed.signature || header.kid !== signed.kid) {
      throw new SignetError('ERR_INTERNAL', 'signed response does not match the JWS it packages');
    }
    return jws;
  }
}

/**
 * The SignedResponse of a token, read back from it: the token carries all of
 * it (data and CA locations in the claims, kid in the header, the signature),
 * so the store keeps the token alone.
 */
export function signedResponseOf(token: string): SignedResponse {
  const [encodedHeader, encodedClaims, signature] = token.split('.');
  const header = JSON.parse(Buffer.from(encodedHeader ?? '', 'base64url').toString('utf8')) as {
    kid: string;
  };
  const claims = JSON.parse(Buffer.from(encodedClaims ?? '', 'base64url').toString('utf8')) as {
    data: unknown;
    ca: CALocation[];
  };
  return { data: claims.data, signature: signature ?? '', kid: header.kid, caLocations: claims.ca };
}
