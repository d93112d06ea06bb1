import { constants, createPublicKey, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const HASH_BY_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const SIGNATURE_ALGORITHMS: Record<
  string,
  { hash: string | null; kind: 'ecdsa' | 'rsa' | 'eddsa' }
> = {
  '1.2.840.10045.4.3.2': { hash: 'sha256', kind: 'ecdsa' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', kind: 'ecdsa' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', kind: 'ecdsa' },
  '1.2.840.113549.1.1.11': { hash: 'sha256', kind: 'rsa' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', kind: 'rsa' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', kind: 'rsa' },
  '1.3.101.112': { hash: null, kind: 'eddsa' },
  '1.3.101.113': { hash: null, kind: 'eddsa' },
};

const RSASSA_PSS = '1.2.840.113549.1.1.10';

/** Name of a hash algorithm (node:crypto spelling) from its OID, if supported. */
export function hashNameOf(oid: string): string | undefined {
  return HASH_BY_OID[oid];
}

/**
 * Verifies an X.509-style signature (AlgorithmIdentifier + BIT STRING value)
 * with node:crypto. pkijs' own engine cannot verify Ed25519, and node:crypto
 * takes DER ECDSA signatures as they are, so only the OID mapping lives here.
 * SHA-1 based signature algorithms are deliberately unsupported.
 */
export function verifyX509Signature(args: {
  algorithm: pkijs.AlgorithmIdentifier;
  spkiDer: Uint8Array;
  data: Uint8Array;
  signature: Uint8Array;
}): boolean {
  const key = createPublicKey({ key: Buffer.from(args.spkiDer), format: 'der', type: 'spki' });
  const oid = args.algorithm.algorithmId;
  try {
    if (oid === RSASSA_PSS) {
      const { hash, saltLength } = pssParams(args.algorithm);
      return verify(
        hash,
        args.data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
        args.signature,
      );
    }
    const known = SIGNATURE_ALGORITHMS[oid];
    if (!known) return false;
    const options = known.kind === 'ecdsa' ? { key, dsaEncoding: 'der' as const } : key;
    return verify(known.hash, args.data, options, args.signature);
  } catch {
    return false;
  }
}

function pssParams(algorithm: pkijs.AlgorithmIdentifier): { hash: string; saltLength: number } {
  const params = algorithm.algorithmParams as unknown;
  if (!(params instanceof asn1js.Sequence)) throw new Error('RSASSA-PSS without parameters');
  const parsed = new pkijs.RSASSAPSSParams({ schema: params });
  const hash = hashNameOf(parsed.hashAlgorithm.algorithmId);
  if (!hash || hash === 'sha1') throw new Error('unsupported RSASSA-PSS hash');
  return { hash, saltLength: parsed.saltLength };
}
