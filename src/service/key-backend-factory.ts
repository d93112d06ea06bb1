import type { SignetConfig } from '../config/loader.js';
import { SignetError } from '../domain/errors.js';
import type { KeyBackend } from '../domain/ports.js';
import type { KeyEncryption } from '../keys/key-encryption.js';
import { Pkcs11KeyBackend } from '../keys/pkcs11/pkcs11-backend.js';
import { SoftwareKeyBackend } from '../keys/software-backend.js';

/** The configured key backend: software (encrypted at rest) or a PKCS#11 token. */
export function createKeyBackend(config: SignetConfig, encryption: KeyEncryption): KeyBackend {
  if (config.keys.backend === 'software') return new SoftwareKeyBackend(encryption);
  const { pkcs11 } = config.keys;
  // The config loader already refuses these; kept for configs built in code.
  if (!pkcs11) {
    throw new SignetError('ERR_CONFIG_INVALID', 'invalid config: keys.pkcs11: is required');
  }
  if (!config.pkcs11Pin) {
    throw new SignetError('ERR_CONFIG_INVALID', 'invalid config: SIGNET_PKCS11_PIN: is required');
  }
  return new Pkcs11KeyBackend({
    module: pkcs11.module,
    tokenLabel: pkcs11.tokenLabel,
    pin: config.pkcs11Pin,
    ...(pkcs11.slot === undefined ? {} : { slot: pkcs11.slot }),
  });
}
