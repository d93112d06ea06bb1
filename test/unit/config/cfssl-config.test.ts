import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loader.js';
import { tempDir } from '../../support/temp.js';

const ROOT = `-----BEGIN CERTIFICATE-----
MIIBADCBp6ADAgECAgEBMAoGCCqGSM49BAMCMAAwHhcNMjYwMTAxMDAwMDAwWhcN
MzYwMTAxMDAwMDAwWjAAMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAAAAAAAA
-----END CERTIFICATE-----
`;

describe('cfssl CAs in the config', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  function load(ca: string) {
    writeFileSync(join(dir.path, 'root.pem'), ROOT);
    const path = join(dir.path, 'signet.yaml');
    writeFileSync(path, `cas:\n  - ${ca}\n`);
    return loadConfig({ SIGNET_CONFIG: path, SIGNET_DATA_DIR: dir.path });
  }

  it('reads the roots and the trust window', () => {
    const config = load(
      '{ id: corp, type: cfssl, url: "http://127.0.0.1:8888", roots: [root.pem], validFrom: "2026-01-01T00:00:00Z", validTo: "2027-01-01T00:00:00Z" }',
    );
    expect(config.caRoots.corp).toEqual([ROOT]);
    expect(config.cas[0]).toMatchObject({ validFrom: '2026-01-01T00:00:00Z' });
  });

  it('refuses a trust window that ends before it starts, naming the key', () => {
    expect(() =>
      load(
        '{ id: corp, type: cfssl, url: "http://127.0.0.1:8888", roots: [root.pem], validFrom: "2027-01-01T00:00:00Z", validTo: "2026-01-01T00:00:00Z" }',
      ),
    ).toThrow('invalid config: cas.0.validTo: must be after validFrom');
  });
});
