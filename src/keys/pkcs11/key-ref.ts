import { SignetError } from '../../domain/errors.js';

/** Where a private key lives in a token: the token's label and the object's CKA_ID. */
export interface TokenKeyRef {
  token: string;
  id: Uint8Array;
}

/**
 * The stored `privateKeyRef` of a token key: an RFC 7512 PKCS#11 URI such as
 * `pkcs11:token=signet;id=%8a%01…;type=private`. It names the object; it holds
 * no key material.
 */
export function formatKeyRef(ref: TokenKeyRef): string {
  const id = Array.from(ref.id, (byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
  return `pkcs11:token=${encodeURIComponent(ref.token)};id=${id};type=private`;
}

export function parseKeyRef(text: string, kid: string): TokenKeyRef {
  const refuse = (why: string): never => {
    throw new SignetError('ERR_KEY_NOT_FOUND', `key ${kid} is not held in a PKCS#11 token: ${why}`);
  };
  if (!text.startsWith('pkcs11:')) {
    refuse('its private key reference is not a pkcs11: URI (was keys.backend changed?)');
  }
  const attributes = new Map<string, string>();
  for (const part of text.slice('pkcs11:'.length).split(';')) {
    const at = part.indexOf('=');
    if (at > 0) attributes.set(part.slice(0, at), part.slice(at + 1));
  }
  const token = attributes.get('token');
  const id = attributes.get('id');
  if (!token || !id || !/^(%[0-9a-fA-F]{2})+$/.test(id)) refuse('the URI lacks token or id');
  return {
    token: decodeURIComponent(token as string),
    id: Uint8Array.from((id as string).slice(1).split('%'), (hex) => parseInt(hex, 16)),
  };
}
