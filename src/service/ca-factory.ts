import { LocalCertificateAuthority } from '../ca/local-ca.js';
import type { SignetConfig } from '../config/loader.js';
import { SignetError } from '../domain/errors.js';
import type { CertificateAuthority, Clock } from '../domain/ports.js';
import type { KeyEncryption } from '../keys/key-encryption.js';
import type { Store } from '../store/index.js';

export interface CertificateAuthorities {
  /** In configured order. */
  cas: CertificateAuthority[];
  /** OCSP responders that Signet serves itself (the built-in CAs). */
  localOcsp: Map<string, (der: Uint8Array) => Promise<Uint8Array>>;
}

/** Builds the configured CAs and loads (or creates) the built-in ones' roots. */
export async function createCertificateAuthorities(
  config: SignetConfig,
  deps: { store: Store; encryption: KeyEncryption; clock: Clock },
): Promise<CertificateAuthorities> {
  const cas: CertificateAuthority[] = [];
  const localOcsp = new Map<string, (der: Uint8Array) => Promise<Uint8Array>>();
  for (const ca of config.cas) {
    if (ca.type !== 'local') {
      throw new SignetError(
        'ERR_CONFIG_INVALID',
        `invalid config: cas: CA type ${ca.type} (${ca.id}) is not supported by this build`,
      );
    }
    const local = new LocalCertificateAuthority({
      id: ca.id,
      publicUrl: config.publicUrl,
      repo: deps.store.localCas,
      certificates: deps.store.certificates,
      encryption: deps.encryption,
      clock: deps.clock,
      certificateValidityMs: config.keys.certificateValidity,
    });
    await local.init();
    cas.push(local);
    localOcsp.set(ca.id, (der) => local.ocsp(local.ocspUrl, der));
  }
  return { cas, localOcsp };
}
