/** The checks of a token's claims and header that need no certificate or network. */
import type { ResponseClaims, ResponseHeader } from './claims.js';
import { refuse } from './errors.js';
import type { VerifyOptions } from './verify.js';

export function checkActivation(claims: ResponseClaims, now: Date, tolerance: number): void {
  const seconds = now.getTime() / 1000;
  if (claims.nbf > seconds + tolerance) {
    refuse(
      'ERR_NOT_YET_ACTIVE',
      `the token is active only from ${new Date(claims.nbf * 1000).toISOString()}`,
    );
  }
  if (claims.iat > seconds + tolerance) {
    refuse(
      'ERR_NOT_YET_ACTIVE',
      `the token is signed in the future (${new Date(claims.iat * 1000).toISOString()})`,
    );
  }
}

export function checkPolicy(
  claims: ResponseClaims,
  options: Pick<VerifyOptions, 'issuer' | 'subject' | 'maxTokenAge'>,
  now: Date,
  tolerance: number,
): void {
  if (options.issuer !== undefined && claims.iss !== options.issuer) {
    refuse('ERR_POLICY', `issuer "${claims.iss}" is not the expected "${options.issuer}"`);
  }
  if (options.subject !== undefined && claims.sub !== options.subject) {
    refuse('ERR_POLICY', `subject "${claims.sub}" is not the expected "${options.subject}"`);
  }
  if (options.maxTokenAge !== undefined) {
    const age = now.getTime() / 1000 - claims.iat;
    if (age > options.maxTokenAge + tolerance) {
      refuse(
        'ERR_POLICY',
        `the token is ${Math.floor(age)} s old, more than the ${options.maxTokenAge} s allowed`,
      );
    }
  }
}

export function checkKids(header: ResponseHeader, claims: ResponseClaims, certKid: string): void {
  if (header.kid !== certKid) {
    refuse('ERR_KID_MISMATCH', `kid ${header.kid} is not the certificate's key (${certKid})`);
  }
  if (claims.key.kid !== header.kid) {
    refuse('ERR_KID_MISMATCH', `the key claim names ${claims.key.kid}, the header ${header.kid}`);
  }
}
