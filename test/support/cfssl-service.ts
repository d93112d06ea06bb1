import { decodeJwt } from 'jose';
import type { CALocation } from '../../src/domain/types.js';
import type { AuthenticatedClient, StatusView } from '../../src/service/api.js';
import type { KeyRotationService } from '../../src/service/key-rotation-service.js';
import type { CfsslCa } from './cfssl.js';

export interface CfsslServiceOptions {
  required?: number;
  onAllDown?: 'retry' | 'fail';
  /** Signet's health probe interval (ISO 8601). */
  healthInterval?: string;
  /** Extra per-CA keys, by cfssl CA id (e.g. an OCSP URL override). */
  extra?: Record<string, string>;
}

export const client: AuthenticatedClient = { id: 'alice', role: 'client' };
export const admin: AuthenticatedClient = { id: 'root', role: 'admin' };

/** Signet's CA id for a test cfssl CA. */
export function caId(ca: CfsslCa): string {
  return `cfssl-${ca.id}`;
}

/** A Signet config (YAML) using these cfssl CAs in this order, with short intervals for tests. */
export function cfsslYaml(cas: CfsslCa[], options: CfsslServiceOptions = {}): string {
  const entries = cas.map((ca) => {
    const extra = options.extra?.[ca.id] ? `, ${options.extra[ca.id]}` : '';
    return `  - { id: ${caId(ca)}, type: cfssl, url: "${ca.url}", roots: ["${ca.rootPath}"]${extra} }`;
  });
  return [
    // This cfssl cannot verify Ed25519 CSRs.
    'keys: { algorithm: ES256 }',
    'cas:',
    ...entries,
    `validation: { required: ${options.required ?? 1}, healthInterval: ${options.healthInterval ?? 'PT0.5S'}, onAllDown: ${options.onAllDown ?? 'retry'} }`,
    'queue: { backoff: PT0.1S, maxBackoff: PT0.4S, maxAttempts: 100 }',
    '',
  ].join('\n');
}

/** Submits a request and waits for it to settle. */
export async function request(
  service: KeyRotationService,
  data: unknown,
  waitMs = 15_000,
): Promise<StatusView> {
  const { record } = await service.api.submit(client, { data });
  return service.api.status(client, record.requestId, waitMs);
}

/** The CAs named in a token's `ca` claim. */
export function caClaim(token: string | undefined): CALocation[] {
  if (!token) throw new Error('no token');
  return decodeJwt(token).ca as CALocation[];
}

export async function waitUntil(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
