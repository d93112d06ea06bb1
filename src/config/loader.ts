import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { SignetError } from '../domain/errors.js';
import { checkLifecycleWindows } from './lifecycle-windows.js';
import { configSchema, type ParsedConfig } from './schema.js';

export type Storage =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; poolSize: number; statementTimeoutMs: number };

export interface SignetConfig extends Omit<ParsedConfig, 'storage'> {
  dataDir: string;
  publicUrl: string;
  storage: Storage;
  /** PEM contents of each cfssl CA's root files, by CA id. */
  caRoots: Record<string, string[]>;
  adminToken: string | undefined;
  masterKeyBase64: string | undefined;
  /** User PIN of the PKCS#11 token (SIGNET_PKCS11_PIN); never logged or put in an error. */
  pkcs11Pin: string | undefined;
}

type Env = Record<string, string | undefined>;

function invalid(key: string, reason: string): never {
  throw new SignetError('ERR_CONFIG_INVALID', `invalid config: ${key}: ${reason}`, {
    detail: { key, reason },
  });
}

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    invalid(
      'SIGNET_CONFIG',
      `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    return parseYaml(text) ?? {};
  } catch (err) {
    invalid('SIGNET_CONFIG', `${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function applyEnv(raw: Record<string, unknown>, env: Env): void {
  if (env.SIGNET_HOST !== undefined) setPath(raw, ['server', 'host'], env.SIGNET_HOST);
  if (env.SIGNET_PORT !== undefined) {
    const port = Number(env.SIGNET_PORT);
    if (!/^\d+$/.test(env.SIGNET_PORT))
      invalid('SIGNET_PORT', `"${env.SIGNET_PORT}" is not a port number`);
    setPath(raw, ['server', 'port'], port);
  }
  if (env.SIGNET_PUBLIC_URL !== undefined)
    setPath(raw, ['server', 'publicUrl'], env.SIGNET_PUBLIC_URL);
  if (env.SIGNET_DATABASE_URL !== undefined)
    setPath(raw, ['storage', 'url'], env.SIGNET_DATABASE_URL);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') {
    return `${key === '(root)' ? '' : `${key}.`}${issue.keys.join(', ')}: unknown key`;
  }
  return `${key}: ${issue.message}`;
}

function readRoots(parsed: ParsedConfig, baseDir: string): Record<string, string[]> {
  const roots: Record<string, string[]> = {};
  parsed.cas.forEach((ca, index) => {
    if (ca.type !== 'cfssl') return;
    roots[ca.id] = ca.roots.map((file, fileIndex) => {
      const key = `cas.${index}.roots.${fileIndex}`;
      let pem: string;
      try {
        pem = readFileSync(resolve(baseDir, file), 'utf8');
      } catch (err) {
        invalid(key, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      if (!pem.includes('-----BEGIN CERTIFICATE-----'))
        invalid(key, `${file} holds no PEM certificate`);
      return pem;
    });
  });
  return roots;
}

/** Reads the YAML file named by SIGNET_CONFIG (if any), applies the environment, validates. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): SignetConfig {
  const configPath = env.SIGNET_CONFIG ? resolve(cwd, env.SIGNET_CONFIG) : undefined;
  const raw = configPath ? readYaml(configPath) : {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    invalid('SIGNET_CONFIG', 'the config file must hold a YAML mapping');
  }
  applyEnv(raw as Record<string, unknown>, env);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const message = issue ? describeIssue(issue) : 'invalid';
    throw new SignetError('ERR_CONFIG_INVALID', `invalid config: ${message}`, {
      detail: { issues: result.error.issues.map(describeIssue) },
    });
  }
  const parsed = result.data;
  checkLifecycleWindows(parsed.keys);
  const dataDir = resolve(cwd, env.SIGNET_DATA_DIR ?? './data');
  const baseDir = configPath ? resolve(configPath, '..') : cwd;
  const storage: Storage = parsed.storage.url
    ? {
        kind: 'postgres',
        url: parsed.storage.url,
        poolSize: parsed.storage.poolSize,
        statementTimeoutMs: parsed.storage.statementTimeout,
      }
    : {
        kind: 'sqlite',
        path: resolve(baseDir, parsed.storage.path ?? resolve(dataDir, 'signet.db')),
      };
  const publicUrl = (
    parsed.server.publicUrl ?? `http://${parsed.server.host}:${parsed.server.port}`
  ).replace(/\/+$/, '');
  if (parsed.validation.required > parsed.cas.length) {
    invalid(
      'validation.required',
      `is ${parsed.validation.required} but only ${parsed.cas.length} CAs are configured`,
    );
  }
  const pkcs11Pin = env.SIGNET_PKCS11_PIN || undefined;
  if (parsed.keys.backend === 'pkcs11' && pkcs11Pin === undefined) {
    invalid('SIGNET_PKCS11_PIN', 'is required when keys.backend is pkcs11 (the token user PIN)');
  }
  return {
    ...parsed,
    dataDir,
    publicUrl,
    storage,
    caRoots: readRoots(parsed, baseDir),
    adminToken: env.SIGNET_ADMIN_TOKEN || undefined,
    masterKeyBase64: env.SIGNET_MASTER_KEY || undefined,
    pkcs11Pin,
  };
}
