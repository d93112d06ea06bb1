import type { Kysely } from 'kysely';
import type { Clock, KeyChangeNotifier, LeaderLock, WorkNotifier } from '../domain/ports.js';
import { systemClock } from '../domain/ports.js';
import { StoreAuditLog } from './audit-log.js';
import { StoreCertificateRepository, StoreLocalCaRepository } from './certificate-repository.js';
import { StoreClientRepository } from './client-repository.js';
import { StoreKeyRepository } from './key-repository.js';
import { migrate } from './migrations.js';
import { openPostgresBackend } from './postgres-backend.js';
import { StoreRequestQueue } from './request-queue.js';
import type { Database } from './schema.js';
import { openSqliteBackend } from './sqlite-backend.js';
import type { StoreBackend } from './store-backend.js';

export type StoreLocation =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; poolSize?: number; statementTimeoutMs?: number };

export interface Store {
  db: Kysely<Database>;
  requests: StoreRequestQueue;
  keys: StoreKeyRepository;
  certificates: StoreCertificateRepository;
  localCas: StoreLocalCaRepository;
  clients: StoreClientRepository;
  audit: StoreAuditLog;
  /** Wakes workers when work is enqueued (in this process for SQLite; NOTIFY on PostgreSQL). */
  notifier: WorkNotifier;
  /** Committed key changes, from every instance on PostgreSQL. */
  keyChanges: KeyChangeNotifier;
  /** Leadership for singleton duties; not campaigning until started. */
  leader: LeaderLock;
  /** Whether notifications from other instances are being received. */
  listening(): boolean;
  /** What a long-running process needs beside its connections (see StoreBackend). */
  startBackgroundWork(): void;
  close(): Promise<void>;
}

/** Opens the store and applies migrations. */
export async function openStore(
  location: StoreLocation,
  clock: Clock = systemClock,
): Promise<Store> {
  const backend: StoreBackend =
    location.kind === 'sqlite' ? openSqliteBackend(location.path) : openPostgresBackend(location);
  const { db, dialect } = backend;
  try {
    await migrate(db as Kysely<unknown>);
  } catch (err) {
    await backend.close();
    throw err;
  }
  return {
    db,
    requests: new StoreRequestQueue(db, clock, dialect),
    keys: new StoreKeyRepository(db, dialect),
    certificates: new StoreCertificateRepository(db),
    localCas: new StoreLocalCaRepository(db),
    clients: new StoreClientRepository(db, backend.externalChanges?.bind(backend)),
    audit: new StoreAuditLog(db, clock, dialect),
    notifier: backend.notifier,
    keyChanges: backend.keyChanges,
    leader: backend.leader,
    listening: backend.listening,
    startBackgroundWork: () => backend.startBackgroundWork?.(),
    close: backend.close,
  };
}
