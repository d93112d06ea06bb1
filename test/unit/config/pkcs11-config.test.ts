import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loader.js';
import { tempDir } from '../../support/temp.js';

describe('keys.pkcs11 config', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  const load = (yaml: string, env: Record<string, string> = {}) => {
    const path = join(dir.path, 'signet.yaml');
    writeFileSync(path, yaml);
    return loadConfig({ SIGNET_CONFIG: path, SIGNET_DATA_DIR: dir.path, ...env }, dir.path);
  };

  it('reads the module, token label, slot and the PIN from the environment', () => {
    const config = load(
      'keys: { backend: pkcs11, pkcs11: { module: /lib/p11.so, tokenLabel: signet, slot: 3 } }',
      { SIGNET_PKCS11_PIN: '246810' },
    );
    expect(config.keys.pkcs11).toEqual({ module: '/lib/p11.so', tokenLabel: 'signet', slot: 3 });
    expect(config.pkcs11Pin).toBe('246810');
  });

  it('names keys.pkcs11 when the pkcs11 backend has no token settings', () => {
    expect(() => load('keys: { backend: pkcs11 }', { SIGNET_PKCS11_PIN: '1234' })).toThrow(
      /keys\.pkcs11: is required when keys\.backend is pkcs11/,
    );
  });

  it('names SIGNET_PKCS11_PIN when the PIN is missing', () => {
    expect(() =>
      load('keys: { backend: pkcs11, pkcs11: { module: /lib/p11.so, tokenLabel: signet } }'),
    ).toThrow(/SIGNET_PKCS11_PIN: is required/);
  });

  it('refuses an unknown key and a token label longer than PKCS#11 allows', () => {
    expect(() =>
      load('keys: { backend: pkcs11, pkcs11: { module: /m.so, tokenLabel: t, pin: "1" } }', {
        SIGNET_PKCS11_PIN: '1234',
      }),
    ).toThrow(/keys\.pkcs11\.pin: unknown key/);
    expect(() =>
      load(`keys: { backend: pkcs11, pkcs11: { module: /m.so, tokenLabel: ${'x'.repeat(33)} } }`, {
        SIGNET_PKCS11_PIN: '1234',
      }),
    ).toThrow(/keys\.pkcs11\.tokenLabel: a PKCS#11 token label has at most 32 characters/);
  });

  it('needs neither with the software backend', () => {
    const config = load('keys: { backend: software }');
    expect(config.keys.pkcs11).toBeUndefined();
    expect(config.pkcs11Pin).toBeUndefined();
  });
});
