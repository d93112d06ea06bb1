import { refuse } from './errors.js';
import { certificatesFromPem, fromDer, type Certificate } from './pem.js';

/**
 * A trusted CA: its root (the trust anchor), any intermediates the trust
 * file lists with it, and the window in which signatures under it are
 * accepted (checked against the token's signing time).
 */
export interface TrustAnchor {
  id?: string;
  certificate: Certificate;
  intermediates: Certificate[];
  validFrom?: Date;
  validTo?: Date;
}

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.signet.trustedroot+json;version=0.1';

/** The trust-root JSON, shaped like Sigstore's trusted_root.json (certificateAuthorities only). */
export interface TrustedRootDocument {
  mediaType: string;
  certificateAuthorities: {
    id?: string;
    uri?: string;
    subject?: { commonName?: string; organization?: string };
    /** Base64 DER, root last; earlier entries are intermediates. */
    certChain: { certificates: { rawBytes: string }[] };
    /** RFC 3339; `end` omitted: still trusted. */
    validFor: { start: string; end?: string };
  }[];
}

/** The roots a verifier trusts. Build it from PEM files or from a trust-root JSON document. */
export class TrustStore {
  constructor(readonly anchors: readonly TrustAnchor[]) {
    if (anchors.length === 0) refuse('ERR_USAGE', 'no trusted root is configured');
  }

  /** Every certificate of every PEM text is a trust anchor, trusted at any time. */
  static fromPem(texts: readonly string[]): TrustStore {
    return new TrustStore(
      texts.flatMap((text, index) =>
        certificatesFromPem(text, `trusted root ${index + 1}`, 'ERR_USAGE').map((certificate) => ({
          certificate,
          intermediates: [],
        })),
      ),
    );
  }

  static fromTrustedRoot(input: string | TrustedRootDocument): TrustStore {
    let doc: unknown = input;
    if (typeof input === 'string') {
      try {
        doc = JSON.parse(input);
      } catch {
        refuse('ERR_USAGE', 'the trusted root is not valid JSON');
      }
    }
    return new TrustStore(parseTrustedRoot(doc));
  }

  /** PEM or trust-root JSON, told apart by the first character. */
  static fromText(texts: readonly string[]): TrustStore {
    const anchors = texts.flatMap((text) =>
      text.trimStart().startsWith('{')
        ? TrustStore.fromTrustedRoot(text).anchors
        : TrustStore.fromPem([text]).anchors,
    );
    return new TrustStore(anchors);
  }

  /** The anchors whose window holds `at`. */
  at(at: Date): TrustAnchor[] {
    return this.anchors.filter(
      (a) => (!a.validFrom || a.validFrom <= at) && (!a.validTo || at <= a.validTo),
    );
  }
}

function parseTrustedRoot(doc: unknown): TrustAnchor[] {
  const root = doc as Partial<TrustedRootDocument> | null;
  if (!root || typeof root !== 'object') refuse('ERR_USAGE', 'the trusted root is not an object');
  if (root.mediaType !== TRUSTED_ROOT_MEDIA_TYPE) {
    refuse('ERR_USAGE', `the trusted root's mediaType must be ${TRUSTED_ROOT_MEDIA_TYPE}`);
  }
  if (!Array.isArray(root.certificateAuthorities) || root.certificateAuthorities.length === 0) {
    refuse('ERR_USAGE', 'the trusted root lists no certificateAuthorities');
  }
  return root.certificateAuthorities.map((ca, index) => {
    const where = `certificateAuthorities[${index}]`;
    const raw = ca?.certChain?.certificates;
    if (!Array.isArray(raw) || raw.length === 0) {
      refuse('ERR_USAGE', `${where}.certChain.certificates is empty`);
    }
    const chain = raw.map((entry, i) => {
      if (typeof entry?.rawBytes !== 'string') {
        refuse('ERR_USAGE', `${where}.certChain.certificates[${i}].rawBytes is missing`);
      }
      return fromDer(Buffer.from(entry.rawBytes, 'base64'), `${where} certificate ${i}`);
    });
    const validFrom = date(ca.validFor?.start, `${where}.validFor.start`);
    if (!validFrom) refuse('ERR_USAGE', `${where}.validFor.start is required`);
    const validTo = date(ca.validFor?.end, `${where}.validFor.end`);
    return {
      ...(typeof ca.id === 'string' ? { id: ca.id } : {}),
      certificate: chain[chain.length - 1] as Certificate,
      intermediates: chain.slice(0, -1),
      validFrom,
      ...(validTo ? { validTo } : {}),
    };
  });
}

function date(value: unknown, key: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) refuse('ERR_USAGE', `${key} is not an RFC 3339 time`);
  return parsed;
}

/** A trust-root document for these CAs (what `signet` users can pin and share). */
export function trustedRootDocument(
  cas: { id?: string; uri?: string; rootPem: string; validFrom: Date; validTo?: Date }[],
): TrustedRootDocument {
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    certificateAuthorities: cas.map((ca) => ({
      ...(ca.id ? { id: ca.id } : {}),
      ...(ca.uri ? { uri: ca.uri } : {}),
      certChain: {
        certificates: certificatesFromPem(ca.rootPem, `root of ${ca.id ?? 'CA'}`, 'ERR_USAGE').map(
          (c) => ({ rawBytes: c.der.toString('base64') }),
        ),
      },
      validFor: {
        start: ca.validFrom.toISOString(),
        ...(ca.validTo ? { end: ca.validTo.toISOString() } : {}),
      },
    })),
  };
}
