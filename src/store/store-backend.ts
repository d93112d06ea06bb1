import type { Kysely } from 'kysely';
import type { KeyChangeNotifier, LeaderLock, WorkNotifier } from '../domain/ports.js';
import type { Database } from './schema.js';
import type { StoreDialect } from './store-dialect.js';

/** The dialect-specific parts of a store: connection, dialect, notifications, leadership. */
export interface StoreBackend {
  db: Kysely<Database>;
  dialect: StoreDialect;
  notifier: WorkNotifier;
  keyChanges: KeyChangeNotifier;
  leader: LeaderLock;
  /**
   * A number that changes whenever another connection (another process) has
   * committed to the store: SQLite's `data_version`. Absent where no such
   * counter is cheap to read (PostgreSQL); what is cached on it is then not cached.
   */
  externalChanges?(): number;
  /** Whether change notifications are being received (always true in-process). */
  listening(): boolean;
  /**
   * Starts what a long-running process needs beside its connections (SQLite:
   * checkpoints on a thread); a command that only reads or writes once does
   * without. Stopped by `close`.
   */
  startBackgroundWork?(): void;
  close(): Promise<void>;
}
