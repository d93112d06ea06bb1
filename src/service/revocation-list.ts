import type { KeyRepository, LoadedKey } from '../domain/ports.js';
import type { SignatureGenerator } from '../signing/signature-generator.js';

export const REVOCATION_LIST_TYPE = 'signet-revocations+jwt';

/** `/revocations`: the revoked kids with reason and time, signed by the current key. */
export class RevocationList {
  constructor(
    private readonly keys: KeyRepository,
    private readonly signatureGenerator: SignatureGenerator,
    private readonly issuer: string,
  ) {}

  async build(signingKey: LoadedKey, now: Date): Promise<string> {
    const revoked = (await this.keys.list(['revoked']))
      .filter((key) => key.revokedAt !== undefined)
      .sort((a, b) => (a.revokedAt?.getTime() ?? 0) - (b.revokedAt?.getTime() ?? 0));
    const claims = {
      iss: this.issuer,
      iat: Math.floor(now.getTime() / 1000),
      // Revocations are never undone, so their count only grows: a monotonic sequence number.
      seq: revoked.length,
      revoked: revoked.map((key) => ({
        kid: key.kid,
        reason: key.revocationReason ?? 'unspecified',
        revokedAt: key.revokedAt?.toISOString(),
      })),
    };
    const { jws } = await this.signatureGenerator.sign(
      signingKey,
      { typ: REVOCATION_LIST_TYPE },
      claims,
    );
    return jws;
  }
}
