import { CfsslCertificateAuthority } from '../ca/cfssl-ca.js';
import { LocalCertificateAuthority } from '../ca/local-ca.js';
import type { SignetConfig } from '../config/loader.js';
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
    if (ca.type === 'cfssl') {
      cas.push(
        new CfsslCertificateAuthority({
          id: ca.id,
          url: ca.url,
          rootsPem: config.caRoots[ca.id] ?? [],
          certificates: deps.store.certificates,
          clock: deps.clock,
          ...(ca.ocspUrl ? { ocspUrl: ca.ocspUrl } : {}),
          ...(ca.validFrom ? { validFrom: new Date(ca.validFrom) } : {}),
          ...(ca.validTo ? { validTo: new Date(ca.validTo) } : {}),
        }),
      );
      continue;
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
