import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { type Clock, type WorkNotifier, systemClock } from '../domain/ports.js';
import { StoreAuditLog } from './audit-log.js';
import { StoreCertificateRepository, StoreLocalCaRepository } from './certificate-repository.js';
import { StoreClientRepository } from './client-repository.js';
import { StoreKeyRepository } from './key-repository.js';
import { InProcessNotifier } from './in-process-notifier.js';
import { migrate } from './migrations.js';
import { StoreRequestQueue } from './request-queue.js';
import type { Database } from './schema.js';

export type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface Store {
  db: Kysely<Database>;
  requests: StoreRequestQueue;
  keys: StoreKeyRepository;
  certificates: StoreCertificateRepository;
  localCas: StoreLocalCaRepository;
  clients: StoreClientRepository;
  audit: StoreAuditLog;
  /** Wakes workers when work is enqueued (in this process for SQLite). */
  notifier: WorkNotifier;
  close(): Promise<void>;
}

function openSqlite(path: string): Kysely<Database> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash (kill -9); only an OS crash can lose the last commits.
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

/** Opens the store and applies migrations. */
export async function openStore(
  location: StoreLocation,
  clock: Clock = systemClock,
): Promise<Store> {
  if (location.kind !== 'sqlite') {
    throw new Error('PostgreSQL storage is not available in this build yet');
  }
  const db = openSqlite(location.path);
  await migrate(db as Kysely<unknown>);
  return {
    db,
    requests: new StoreRequestQueue(db, clock),
    keys: new StoreKeyRepository(db),
    certificates: new StoreCertificateRepository(db),
    localCas: new StoreLocalCaRepository(db),
    clients: new StoreClientRepository(db),
    audit: new StoreAuditLog(db, clock),
    notifier: new InProcessNotifier(),
    close: () => db.destroy(),
  };
}
