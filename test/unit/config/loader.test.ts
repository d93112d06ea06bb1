import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loader.js';
import { parseDuration } from '../../../src/config/duration.js';
import { tempDir } from '../../support/temp.js';

describe('parseDuration', () => {
  it.each([
    ['PT30S', 30_000],
    ['P1D', 86_400_000],
    ['P1W', 604_800_000],
    ['P1M', 30 * 86_400_000],
    ['PT1H30M', 5_400_000],
    ['PT0.5S', 500],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'P', 'PT', '1D', 'P1H', 'PT1D', 'P-1D', 'daily'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('loadConfig', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  const withFile = (yaml: string) => {
    const path = join(dir.path, 'signet.yaml');
    writeFileSync(path, yaml);
    return { SIGNET_CONFIG: path, SIGNET_DATA_DIR: dir.path };
  };

  it('gives the contract defaults with no file', () => {
    const config = loadConfig({ SIGNET_DATA_DIR: dir.path }, dir.path);
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.publicUrl).toBe('http://127.0.0.1:8080');
    expect(config.keys.algorithm).toBe('EdDSA');
    expect(config.cas.map((ca) => ca.id)).toEqual(['local-a', 'local-b']);
    expect(config.validation).toMatchObject({
      required: 1,
      onAllDown: 'retry',
      healthInterval: 10_000,
    });
    expect(config.storage).toEqual({ kind: 'sqlite', path: join(dir.path, 'signet.db') });
  });

  it('lets the environment override the file', () => {
    const env = {
      ...withFile('server: { port: 9000, host: 0.0.0.0 }\n'),
      SIGNET_PORT: '9100',
      SIGNET_PUBLIC_URL: 'https://signet.example/',
    };
    const config = loadConfig(env, dir.path);
    expect(config.server.port).toBe(9100);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.publicUrl).toBe('https://signet.example');
  });

  it.each([
    ['keys: { rotation: { every: P1X } }\n', /keys\.rotation/],
    ['server: { port: 70000 }\n', /server\.port/],
    ['surprise: true\n', /surprise: unknown key/],
    ['keys: { algorithm: HS256 }\n', /keys\.algorithm/],
    ['validation: { required: 3 }\n', /validation\.required/],
    [
      'cas: [{ id: corp, type: cfssl, url: "http://127.0.0.1:8888", roots: [./missing.pem] }]\n',
      /cas\.0\.roots\.0: cannot read/,
    ],
    ['processors: { default: http }\n', /processors.*http\.url/],
    ['server: [1, 2\n', /not valid YAML/],
  ])('stops on %j naming the key', (yaml, message) => {
    expect(() => loadConfig(withFile(yaml), dir.path)).toThrow(message);
  });

  it('names SIGNET_PORT when it is not a number', () => {
    expect(() => loadConfig({ SIGNET_PORT: 'http' }, dir.path)).toThrow(/SIGNET_PORT/);
  });
});

describe('key lifecycle windows', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  const load = (yaml: string) => {
    const path = join(dir.path, 'signet.yaml');
    writeFileSync(path, yaml);
    return loadConfig({ SIGNET_CONFIG: path, SIGNET_DATA_DIR: dir.path }, dir.path);
  };

  it('accepts the defaults and a consistent short setup', () => {
    expect(load('').keys.retain).toBe(30 * 86_400_000);
    const keys = load(
      'keys: { rotation: { every: PT30S }, prepublish: PT10S, retain: PT2M, jwksMaxAge: PT5S, tokenLifetime: PT1M }\n',
    ).keys;
    expect(keys.prepublish).toBe(10_000);
  });

  it('refuses a retention shorter than the JWKS cache lifetime plus the token lifetime', () => {
    expect(() => load('keys: { retain: P1D, tokenLifetime: P7D }\n')).toThrow(
      /keys\.retain \(P1D\) is shorter than keys\.jwksMaxAge \(PT300S\) \+ keys\.tokenLifetime \(P7D\)/,
    );
  });

  it('refuses a pre-publication shorter than the JWKS cache lifetime', () => {
    expect(() => load('keys: { prepublish: PT1M, jwksMaxAge: PT5M }\n')).toThrow(
      /keys\.prepublish \(PT60S\) is shorter than keys\.jwksMaxAge/,
    );
  });

  it('refuses a pre-publication as long as the rotation interval', () => {
    expect(() => load('keys: { rotation: { every: PT1H }, prepublish: PT1H }\n')).toThrow(
      /keys\.prepublish.*must be shorter than keys\.rotation\.every/,
    );
  });

  it('refuses a bad cron expression or time zone at start', () => {
    expect(() => load('keys: { rotation: { cron: "0 3 * * 8x" } }\n')).toThrow(
      /keys\.rotation\.cron/,
    );
    expect(() =>
      load('keys: { rotation: { cron: "0 3 * * 1", timezone: Nowhere/City } }\n'),
    ).toThrow(/unknown time zone/);
  });
});
