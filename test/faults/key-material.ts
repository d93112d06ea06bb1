/**
 * Finds private key material where it must never be: in answers, log lines
 * and error texts, and in clear in the database file.
 */
import { createDecipheriv, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';

/** Where `text` shows key material: PEM private keys, the master key, private JWK members. */
export function keyMaterialIn(text: string, masterKey: Buffer): string[] {
  const found: string[] = [];
  if (/PRIVATE KEY/.test(text)) found.push('a PEM private key');
  for (const encoding of ['base64', 'base64url', 'hex'] as const) {
    if (text.includes(masterKey.toString(encoding))) found.push(`the master key (${encoding})`);
  }
  // RFC 7517/7518 private members: d (EC, OKP, RSA), p, q, dp, dq, qi (RSA).
  const member = /"(d|p|q|dp|dq|qi)"\s*:\s*"[A-Za-z0-9_-]{16,}"/.exec(text);
  if (member) found.push(`a private JWK member "${member[1]}"`);
  return found;
}

/** AES-256-GCM `v1.iv.body.tag` with the context as additional data: the format at rest. */
function decrypt(blob: string, masterKey: Buffer, context: string): Buffer {
  const [version, iv, body, tag] = blob.split('.');
  if (version !== 'v1' || !iv || !body || !tag)
    throw new Error(`not an encrypted blob: ${context}`);
  const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

export interface StoredKeyReport {
  /** Private keys found (signing keys and CA roots), each checked to decrypt to its public key. */
  keys: number;
  problems: string[];
}

/**
 * Every stored private key (signing keys, built-in CA roots) must be an
 * AES-GCM blob under the master key that decrypts to the key of its public
 * half, and its clear bytes (raw, base64, base64url, hex) must appear
 * nowhere in the database files.
 */
export function checkStoredKeys(dbPath: string, masterKey: Buffer): StoredKeyReport {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  const problems: string[] = [];
  const clear: Buffer[] = [];
  let keys = 0;
  try {
    const stored = [
      ...(
        db.prepare('select kid, public_jwk, private_key_ref from keys').all() as {
          kid: string;
          public_jwk: string;
          private_key_ref: string;
        }[]
      ).map((row) => ({
        what: `key ${row.kid}`,
        blob: row.private_key_ref,
        context: `key:${row.kid}`,
        publicKey: () =>
          createPublicKey({ key: JSON.parse(row.public_jwk) as object, format: 'jwk' } as never),
      })),
      ...(
        db.prepare('select ca_id, root_cert_pem, encrypted_root_key from local_cas').all() as {
          ca_id: string;
          root_cert_pem: string;
          encrypted_root_key: string;
        }[]
      ).map((row) => ({
        what: `CA ${row.ca_id}`,
        blob: row.encrypted_root_key,
        context: `ca:${row.ca_id}`,
        publicKey: () => createPublicKey(row.root_cert_pem),
      })),
    ];
    for (const { what, blob, context, publicKey } of stored) {
      keys += 1;
      if (/PRIVATE KEY/.test(blob)) problems.push(`${what}: stored as PEM`);
      try {
        const pkcs8 = decrypt(blob, masterKey, context);
        const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
        if (!spki(createPublicKey(privateKey)).equals(spki(publicKey()))) {
          problems.push(`${what}: the stored key is not the key of its public half`);
        }
        clear.push(pkcs8);
        // The bare private scalar too (the JWK `d`), in case it is stored without its PKCS#8 frame.
        const d = (privateKey.export({ format: 'jwk' }) as { d?: string }).d;
        if (d) clear.push(Buffer.from(d, 'base64url'));
      } catch (err) {
        problems.push(`${what}: does not decrypt under the master key (${(err as Error).message})`);
      }
    }
  } finally {
    db.close();
  }
  const files = [dbPath, `${dbPath}-wal`]
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path));
  for (const pkcs8 of clear) {
    const forms = [
      pkcs8,
      ...(['base64', 'base64url', 'hex'] as const).map((e) => Buffer.from(pkcs8.toString(e))),
    ];
    if (files.some((file) => forms.some((form) => file.includes(form)))) {
      problems.push('a private key is in the database files in clear');
    }
  }
  return { keys, problems };
}
