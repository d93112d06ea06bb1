import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignetError } from '../domain/errors.js';

export interface MasterKeySource {
  key: Buffer;
  /** Set when the key was generated into the data dir rather than given by the environment. */
  generatedPath?: string;
}

function decode(base64: string, origin: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) {
    throw new SignetError(
      'ERR_CONFIG_INVALID',
      `invalid config: ${origin}: must be 32 bytes in base64`,
    );
  }
  return key;
}

/** SIGNET_MASTER_KEY, or a key generated once into the data dir with mode 0600. */
export function loadMasterKey(
  masterKeyBase64: string | undefined,
  dataDir: string,
): MasterKeySource {
  if (masterKeyBase64) return { key: decode(masterKeyBase64, 'SIGNET_MASTER_KEY') };
  const path = join(dataDir, 'master.key');
  if (existsSync(path)) return { key: decode(readFileSync(path, 'utf8'), path) };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key: decode(readFileSync(path, 'utf8'), path), generatedPath: path };
}
