import type { SignetConfig } from '../config/loader.js';
import { SignetError } from '../domain/errors.js';
import type { KeyBackend } from '../domain/ports.js';
import type { KeyEncryption } from '../keys/key-encryption.js';
import { SoftwareKeyBackend } from '../keys/software-backend.js';

/** The configured key backend: software (encrypted at rest) or a PKCS#11 token. */
export function createKeyBackend(config: SignetConfig, encryption: KeyEncryption): KeyBackend {
  if (config.keys.backend === 'software') return new SoftwareKeyBackend(encryption);
  throw new SignetError(
    'ERR_CONFIG_INVALID',
    `invalid config: keys.backend: ${config.keys.backend} is not supported by this build`,
  );
}
