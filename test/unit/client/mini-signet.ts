import {
  constants,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  sign,
  webcrypto,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { respondOcsp } from '../../../src/ca/ocsp-responder.js';
import type { IssuedCertificate } from '../../../src/domain/types.js';
import { type CertSpec, issue, makeRoot, type TestCert, validity } from '../ca/pki.js';

/**
 * A stand-in for the service's public side, written without any Signet code
 * on the signing path: node:crypto signs the tokens and the revocation list,
 * @peculiar/x509 makes the certificates, a plain node:http server on
 * 127.0.0.1 serves x5u chains, OCSP (the CA's own responder code) and
 * /revocations, and counts every connection it accepts.
 */
export type Alg = 'EdDSA' | 'ES256' | 'ES384' | 'RS256' | 'PS256';

export interface Identity {
  alg: Alg;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  leaf: TestCert;
  caId: string;
  chainPem: string;
  x5u: string;
  thumbprint: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

const DAY = 24 * 3600_000;

export class MiniSignet {
  connections = 0;
  /** Every request served, as "METHOD /path". */
  readonly requests: string[] = [];
  readonly cas = new Map<string, TestCert>();
  readonly revoked = new Map<string, { reason: string; revokedAt: Date }>();
  readonly overrides = new Map<string, Handler>();
  listSigner: Identity | undefined;
  seq = 0;
  #chains = new Map<string, string>();
  #issued = new Map<string, { caId: string; kid: string; serial: string }>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<MiniSignet> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const mini = new MiniSignet(server, url);
    server.on('connection', () => mini.connections++);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void mini.#handle(req, res, Buffer.concat(chunks)));
    });
    // Roots valid from a year back, so that tests can sign "in the past".
    const years = {
      notBefore: new Date(Date.now() - 365 * DAY),
      notAfter: new Date(Date.now() + 3650 * DAY),
    };
    mini.cas.set('ca-a', await makeRoot({ name: 'Mini CA A', ...years, pathLength: 1 }));
    mini.cas.set('ca-b', await makeRoot({ name: 'Mini CA B', ...years }));
    return mini;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  get revocationsUrl(): string {
    return `${this.url}/revocations`;
  }

  /** A signing key with a certificate from `caId` (spec overrides the leaf profile). */
  async identity(
    alg: Alg,
    options: {
      caId?: string;
      spec?: Partial<CertSpec>;
      issuer?: TestCert;
      extraChain?: TestCert[];
      keys?: Identity;
    } = {},
  ): Promise<Identity> {
    const caId = options.caId ?? 'ca-a';
    const { privateKey, publicKey } = options.keys ?? generate(alg);
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
    const issuer = options.issuer ?? (this.cas.get(caId) as TestCert);
    const cryptoKey = await webcrypto.subtle.importKey(
      'spki',
      publicKey.export({ type: 'spki', format: 'der' }),
      importParams(alg),
      true,
      ['verify'],
    );
    const leaf = await issue(issuer, { name: kid, ...validity(new Date(), 30), ...options.spec }, {
      publicKey: cryptoKey,
    } as webcrypto.CryptoKeyPair);
    const chainPem = [leaf, ...(options.extraChain ?? []), issuer].map((c) => c.pem).join('');
    const x5u = `${this.url}/certs/${kid}/${caId}.pem`;
    this.#chains.set(`/certs/${kid}/${caId}.pem`, chainPem);
    this.#issued.set(`${caId}:${leaf.cert.serialNumber.toLowerCase()}`, {
      caId,
      kid,
      serial: leaf.cert.serialNumber,
    });
    const thumbprint = createHash('sha256')
      .update(Buffer.from(leaf.cert.rawData))
      .digest('base64url');
    const identity = { alg, kid, privateKey, publicKey, leaf, caId, chainPem, x5u, thumbprint };
    this.listSigner ??= identity;
    return identity;
  }

  /** A Signet response token, built and signed with node:crypto alone. */
  token(
    id: Identity,
    options: {
      header?: Record<string, unknown>;
      claims?: Record<string, unknown>;
      iat?: number;
      cas?: Identity[];
      signWith?: Identity;
    } = {},
  ): string {
    const iat = options.iat ?? Math.floor(Date.now() / 1000);
    const header = {
      alg: id.alg,
      kid: id.kid,
      typ: 'signet-response+jwt',
      x5u: id.x5u,
      'x5t#S256': id.thumbprint,
      ...options.header,
    };
    const claims = {
      iss: this.url,
      sub: 'alice',
      jti: '6f1c2b8e-0000-4000-8000-000000000001',
      iat,
      nbf: iat,
      data: { answer: 42 },
      req: createHash('sha256').update('{"q":1}').digest('base64url'),
      ca: (options.cas ?? [id]).map((c) => ({
        id: c.caId,
        x5u: c.x5u,
        ocsp: `${this.url}/ocsp/${c.caId}`,
      })),
      key: { kid: id.kid, status: 'active', revocations: this.revocationsUrl },
      ...options.claims,
    };
    return signCompact(header, claims, options.signWith ?? id);
  }

  revocationList(signer: Identity, claims: Record<string, unknown> = {}): string {
    const list = {
      iss: this.url,
      iat: Math.floor(Date.now() / 1000),
      seq: this.seq,
      revoked: [...this.revoked].map(([kid, r]) => ({
        kid,
        reason: r.reason,
        revokedAt: r.revokedAt.toISOString(),
      })),
      ...claims,
    };
    return signCompact(
      { alg: signer.alg, kid: signer.kid, typ: 'signet-revocations+jwt' },
      list,
      signer,
    );
  }

  revoke(id: Identity, reason = 'keyCompromise'): void {
    this.revoked.set(id.kid, { reason, revokedAt: new Date(Date.now() - 1000) });
    this.seq++;
  }

  async #handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    this.requests.push(`${req.method} ${path}`);
    const override = this.overrides.get(path);
    if (override) return override(req, res, body);
    const chain = this.#chains.get(path);
    if (chain)
      return void res
        .writeHead(200, { 'content-type': 'application/pem-certificate-chain' })
        .end(chain);
    if (path === '/revocations' && this.listSigner) {
      return void res
        .writeHead(200, { 'content-type': 'application/jwt' })
        .end(this.revocationList(this.listSigner));
    }
    const ocsp = /^\/ocsp\/([^/]+)$/.exec(path);
    const ca = ocsp ? this.cas.get(ocsp[1] ?? '') : undefined;
    if (ocsp && ca && req.method === 'POST') {
      const der = await respondOcsp(new Uint8Array(body), {
        issuerCertPem: ca.pem,
        issuerPrivateKey: ca.keys.privateKey,
        lookup: async (serial) => this.#lookup(ocsp[1] ?? '', serial),
        now: new Date(),
        validityMs: DAY,
      });
      return void res
        .writeHead(200, { 'content-type': 'application/ocsp-response' })
        .end(Buffer.from(der));
    }
    res.writeHead(404).end();
  }

  #lookup(caId: string, serial: string): IssuedCertificate | undefined {
    const issued = [...this.#issued.values()].find(
      (i) =>
        i.caId === caId && i.serial.toLowerCase().replace(/^0+/, '') === serial.replace(/^0+/, ''),
    );
    if (!issued) return undefined;
    const revoked = this.revoked.get(issued.kid);
    return {
      kid: issued.kid,
      caId,
      serial,
      chainPem: '',
      notBefore: new Date(0),
      notAfter: new Date(Date.now() + DAY),
      ocspUrl: '',
      status: revoked ? 'revoked' : 'good',
      ...(revoked ? { revokedAt: revoked.revokedAt, revocationReason: revoked.reason } : {}),
    };
  }
}

export function generate(alg: Alg): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ES384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    default:
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

function importParams(
  alg: Alg,
): webcrypto.AlgorithmIdentifier | webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams {
  if (alg === 'EdDSA') return { name: 'Ed25519' };
  if (alg === 'ES256') return { name: 'ECDSA', namedCurve: 'P-256' };
  if (alg === 'ES384') return { name: 'ECDSA', namedCurve: 'P-384' };
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** RFC 7515 compact serialization with node:crypto: the other implementation. */
export function signCompact(
  header: Record<string, unknown>,
  claims: unknown,
  id: Pick<Identity, 'alg' | 'privateKey'>,
): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const data = Buffer.from(input);
  const alg = String(header.alg ?? id.alg);
  let signature: Buffer;
  if (alg === 'none') signature = Buffer.alloc(0);
  else if (id.alg === 'EdDSA') signature = sign(null, data, id.privateKey);
  else if (id.alg === 'ES256')
    signature = sign('sha256', data, { key: id.privateKey, dsaEncoding: 'ieee-p1363' });
  else if (id.alg === 'ES384')
    signature = sign('sha384', data, { key: id.privateKey, dsaEncoding: 'ieee-p1363' });
  else if (id.alg === 'PS256') {
    signature = sign('sha256', data, {
      key: id.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
  } else signature = sign('sha256', data, id.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

export function b64(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A server on 127.0.0.1 that answers every request with `answer` and counts connections. */
export async function countingServer(
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
    res.writeHead(404).end(),
): Promise<{ url: string; connections(): number; stop(): Promise<void> }> {
  let connections = 0;
  const server = createServer(answer);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
