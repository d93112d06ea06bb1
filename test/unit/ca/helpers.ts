import { execFile } from 'node:child_process';
import { randomBytes, webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createCsr } from '../../../src/ca/csr.js';
import { LocalCertificateAuthority } from '../../../src/ca/local-ca.js';
import type { Clock } from '../../../src/domain/ports.js';
import type { Algorithm } from '../../../src/domain/types.js';
import { WEBCRYPTO_PARAMS } from '../../../src/keys/algorithms.js';
import { KeyEncryption } from '../../../src/keys/key-encryption.js';
import { openStore, type Store } from '../../../src/store/index.js';

const run = promisify(execFile);

export const DAY = 24 * 3600_000;

/** One master key for the tests, so that a CA id always reopens with the same root. */
export const testEncryption = new KeyEncryption(randomBytes(32));

export async function memoryStore(): Promise<Store> {
  return openStore({ kind: 'sqlite', path: ':memory:' });
}

export function newLocalCa(
  store: Store,
  clock: Clock,
  id = 'local-a',
  extra: { ocspValidityMs?: number; encryption?: KeyEncryption } = {},
): LocalCertificateAuthority {
  return new LocalCertificateAuthority({
    id,
    publicUrl: 'http://127.0.0.1:8080',
    repo: store.localCas,
    certificates: store.certificates,
    encryption: extra.encryption ?? testEncryption,
    clock,
    certificateValidityMs: 30 * DAY,
    ...(extra.ocspValidityMs ? { ocspValidityMs: extra.ocspValidityMs } : {}),
  });
}

export async function signingKey(algorithm: Algorithm): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(WEBCRYPTO_PARAMS[algorithm], false, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

export async function csrFor(kid: string, algorithm: Algorithm): Promise<string> {
  const keys = await signingKey(algorithm);
  return createCsr({ kid, privateKey: keys.privateKey, publicKey: keys.publicKey });
}

export async function openssl(
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('openssl', args, { timeout: 20_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return {
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
      code: typeof e.code === 'number' ? e.code : 1,
    };
  }
}

export function writeFiles(
  dir: string,
  files: Record<string, string | Uint8Array>,
): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    paths[name] = join(dir, name);
    writeFileSync(paths[name], content);
  }
  return paths;
}

/** The PEM blocks of a chain, leaf first. */
export function splitPem(chainPem: string): string[] {
  return chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}
