import { X509Certificate } from 'node:crypto';
import { x509 } from '../ca/x509.js';
import { refuse } from './errors.js';

/** One certificate, parsed twice: node:crypto (signatures, keys) and @peculiar/x509 (extensions). */
export interface Certificate {
  der: Buffer;
  pem: string;
  node: X509Certificate;
  parsed: x509.X509Certificate;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function fromDer(der: Uint8Array, what: string): Certificate {
  try {
    const bytes = Buffer.from(der);
    const node = new X509Certificate(bytes);
    const parsed = new x509.X509Certificate(bytes);
    return { der: bytes, pem: toPem(bytes), node, parsed };
  } catch (cause) {
    return refuse('ERR_CERT_UNTRUSTED', `${what} is not a valid X.509 certificate`, { cause });
  }
}

/** Every certificate of a PEM bundle, in order. `code` is the error for text without any. */
export function certificatesFromPem(
  text: string,
  what: string,
  code: 'ERR_CERT_UNTRUSTED' | 'ERR_USAGE' = 'ERR_CERT_UNTRUSTED',
): Certificate[] {
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) refuse(code, `${what} holds no PEM certificate`);
  return blocks.map((block, index) => {
    const body = block.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    return fromDer(Buffer.from(body, 'base64'), `${what} (certificate ${index + 1})`);
  });
}

export function toPem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export function sameCertificate(a: Certificate, b: Certificate): boolean {
  return a.der.equals(b.der);
}
