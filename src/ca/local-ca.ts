import { randomBytes, webcrypto } from 'node:crypto';
import { SignetError } from '../domain/errors.js';
import type {
  CertificateAuthority,
  CertificateRepository,
  CertificationRequest,
  Clock,
  LocalCaRepository,
  LocalCaState,
} from '../domain/ports.js';
import type { IssuedCertificate } from '../domain/types.js';
import type { KeyEncryption } from '../keys/key-encryption.js';
import { parseVerifiedCsr } from './csr.js';
import { respondOcsp } from './ocsp-responder.js';
import { x509 } from './x509.js';

export interface LocalCaOptions {
  id: string;
  /** Base URL of this Signet instance, used in the certificates' OCSP and caIssuers URLs. */
  publicUrl: string;
  repo: LocalCaRepository;
  certificates: CertificateRepository;
  encryption: KeyEncryption;
  clock: Clock;
  certificateValidityMs: number;
  /** Lifetime of an OCSP answer (its nextUpdate). */
  ocspValidityMs?: number;
}

interface LoadedRoot {
  cert: x509.X509Certificate;
  pem: string;
  key: webcrypto.CryptoKey;
  keyId: string;
}

const ROOT_VALIDITY_MS = 10 * 365.25 * 24 * 3600_000;
const BACKDATE_MS = 60_000;
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * A CA built into Signet: an ECDSA P-256 root whose key is stored encrypted
 * under the master key, issuing one leaf per signing key and answering OCSP
 * in-process from the certificate repository.
 */
export class LocalCertificateAuthority implements CertificateAuthority {
  readonly type = 'local' as const;
  readonly id: string;
  readonly url: string;
  readonly #options: LocalCaOptions;
  #root: Promise<LoadedRoot> | undefined;
  #available = true;

  constructor(options: LocalCaOptions) {
    this.#options = options;
    this.id = options.id;
    this.url = `${trimSlash(options.publicUrl)}/cas/${options.id}`;
  }

  get ocspUrl(): string {
    return `${trimSlash(this.#options.publicUrl)}/ocsp/${this.id}`;
  }

  /** Loads the root from the repository, creating it on first use (the first writer wins). */
  async init(): Promise<void> {
    await this.#loadedRoot();
  }

  /**
   * Fault injection for failover tests and drills: while unavailable, the CA
   * refuses certify, revoke, ocsp and probe as if it were unreachable.
   */
  setAvailable(available: boolean): void {
    this.#available = available;
  }

  async rootsPem(): Promise<string[]> {
    return [(await this.#loadedRoot()).pem];
  }

  async certify(request: CertificationRequest): Promise<IssuedCertificate> {
    this.#assertAvailable();
    const root = await this.#loadedRoot();
    const csr = await parseVerifiedCsr(request.csrPem);
    const now = this.#options.clock.now();
    const notAfter = new Date(
      Math.min(now.getTime() + this.#options.certificateValidityMs, root.cert.notAfter.getTime()),
    );
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: [{ CN: [request.kid] }],
      issuer: root.cert.subjectName,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter,
      publicKey: csr.publicKey,
      signingKey: root.key,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
        new x509.AuthorityKeyIdentifierExtension(root.keyId),
        new x509.AuthorityInfoAccessExtension({
          ocsp: [new x509.GeneralName('url', this.ocspUrl)],
          caIssuers: [new x509.GeneralName('url', `${this.url}/root.pem`)],
        }),
      ],
    });
    const issued: IssuedCertificate = {
      kid: request.kid,
      caId: this.id,
      serial: leaf.serialNumber.toLowerCase(),
      chainPem: `${pem(leaf)}${root.pem}`,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      ocspUrl: this.ocspUrl,
      status: 'good',
    };
    await this.#options.certificates.insert(issued);
    return issued;
  }

  async revoke(cert: IssuedCertificate, reason: string): Promise<void> {
    this.#assertAvailable();
    if (cert.caId !== this.id) {
      throw new SignetError(
        'ERR_VALIDATION',
        `certificate ${cert.serial} was not issued by ${this.id}`,
      );
    }
    await this.#options.certificates.markRevoked(
      this.id,
      cert.serial,
      reason,
      this.#options.clock.now(),
    );
  }

  async ocsp(_url: string, requestDer: Uint8Array): Promise<Uint8Array> {
    this.#assertAvailable();
    const root = await this.#loadedRoot();
    return respondOcsp(requestDer, {
      issuerCertPem: root.pem,
      issuerPrivateKey: root.key,
      lookup: (serial) => this.#options.certificates.findBySerial(this.id, serial),
      now: this.#options.clock.now(),
      validityMs: this.#options.ocspValidityMs ?? 15 * 60_000,
    });
  }

  async probe(): Promise<void> {
    this.#assertAvailable();
    await this.#loadedRoot();
  }

  #assertAvailable(): void {
    if (!this.#available) {
      throw new SignetError('ERR_CA_UNAVAILABLE', `CA ${this.id} is unavailable`, {
        retryable: true,
      });
    }
  }

  #loadedRoot(): Promise<LoadedRoot> {
    this.#root ??= this.#load().catch((err: unknown) => {
      this.#root = undefined;
      throw err;
    });
    return this.#root;
  }

  async #load(): Promise<LoadedRoot> {
    const { repo, encryption } = this.#options;
    const state = (await repo.get(this.id)) ?? (await repo.initialize(await this.#create()));
    const cert = new x509.X509Certificate(state.rootCertPem);
    const pkcs8 = encryption.decrypt(state.encryptedRootKey, `ca:${this.id}`);
    try {
      const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, EC_P256, false, ['sign']);
      const keyId = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
      if (!keyId) throw new SignetError('ERR_INTERNAL', `the root of CA ${this.id} has no key id`);
      return { cert, pem: pem(cert), key, keyId };
    } finally {
      pkcs8.fill(0);
    }
  }

  async #create(): Promise<LocalCaState> {
    const now = this.#options.clock.now();
    const keys = (await webcrypto.subtle.generateKey(EC_P256, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: [{ CN: [`Signet ${this.id} Root`] }],
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + ROOT_VALIDITY_MS),
      keys,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    try {
      const encryptedRootKey = this.#options.encryption.encrypt(pkcs8, `ca:${this.id}`);
      return { caId: this.id, rootCertPem: pem(root), encryptedRootKey };
    } finally {
      pkcs8.fill(0);
    }
  }
}

/** 16 random bytes, first byte in 0x40..0x7f: positive, and always 16 bytes long in DER. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}

function pem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem').replace(/\r\n/g, '\n').trim()}\n`;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
