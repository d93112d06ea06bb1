import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loader.js';
import { tempDir } from '../../support/temp.js';

describe('storage configuration', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());
  const load = (yaml: string, env: Record<string, string> = {}) => {
    const path = join(dir.path, 'signet.yaml');
    writeFileSync(path, yaml);
    return loadConfig({ SIGNET_CONFIG: path, SIGNET_DATA_DIR: dir.path, ...env });
  };

  it('switches to PostgreSQL with SIGNET_DATABASE_URL, with pool size and statement timeout', () => {
    const config = load('storage: { poolSize: 20, statementTimeout: PT5S }\n', {
      SIGNET_DATABASE_URL: 'postgres://signet@127.0.0.1:5432/signet',
    });
    expect(config.storage).toEqual({
      kind: 'postgres',
      url: 'postgres://signet@127.0.0.1:5432/signet',
      poolSize: 20,
      statementTimeoutMs: 5_000,
    });
  });

  it('defaults to 10 connections and a 30 s statement timeout', () => {
    expect(load('storage: { url: "postgresql://127.0.0.1/signet" }\n').storage).toEqual({
      kind: 'postgres',
      url: 'postgresql://127.0.0.1/signet',
      poolSize: 10,
      statementTimeoutMs: 30_000,
    });
  });

  it('stays on SQLite without a URL', () => {
    expect(load('').storage).toEqual({ kind: 'sqlite', path: join(dir.path, 'signet.db') });
  });

  it.each([
    ['storage: { poolSize: 0 }', 'storage.poolSize'],
    ['storage: { statementTimeout: soon }', 'storage.statementTimeout'],
    ['storage: { url: "mysql://127.0.0.1/x" }', 'storage.url'],
  ])('refuses %s, naming the key', (yaml, key) => {
    expect(() => load(`${yaml}\n`)).toThrow(new RegExp(`invalid config: ${key}:`));
  });
});
