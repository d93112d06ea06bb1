import { createRequire } from 'node:module';
import type { Database } from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

/**
 * A checkpoint copies committed pages from the WAL into the database file and
 * syncs that file. SQLite runs it on the connection that commits, so it
 * stalled the event loop every few megabytes (measured under load: commits
 * took 159 µs on average, 99 µs with this thread). This thread, with a
 * connection of its own, runs PASSIVE checkpoints instead, which never block
 * the writer.
 *
 * A PASSIVE checkpoint alone cannot rewind the WAL while commits keep coming
 * (SQLite rewinds only once every frame has been copied), so the writer keeps
 * an automatic checkpoint at a larger size: by then this thread has copied
 * nearly every frame, and what is left for the event loop is a few pages. If
 * this thread stops, that automatic checkpoint still bounds the WAL.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
function end() {
  clearInterval(timer);
  db.close();
  parentPort.close();
}
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // Reported once; the writer's own checkpoints take over (they never fail a commit).
    parentPort.postMessage({ error: err instanceof Error ? err.message : 'checkpoint failed' });
    end();
  }
}, workerData.intervalMs);
parentPort.on('message', end);
`;

/** The writer's automatic checkpoint while the thread runs, in pages. */
export const WRITER_CHECKPOINT_PAGES = 4096;
const SQLITE_DEFAULT_CHECKPOINT_PAGES = 1000;
const INTERVAL_MS = 50;

interface CheckpointerEvents {
  /** The thread failed or exited early (said once); the writer's automatic checkpoint still bounds the WAL. */
  onError(message: string): void;
}

export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #stopping = false;
  #failed = false;

  constructor(path: string, events: CheckpointerEvents) {
    const fail = (message: string): void => {
      if (this.#failed || this.#stopping) return;
      this.#failed = true;
      events.onError(message);
    };
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { path, driver, intervalMs: INTERVAL_MS },
    });
    this.#worker.unref();
    this.#worker.on('message', (message: { error?: string }) => {
      if (message.error) fail(message.error);
    });
    this.#worker.on('error', (err) => fail(err.message));
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        fail(`checkpoint thread exited with ${code}`);
        resolve();
      }),
    );
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    // Unreferenced, the thread would not keep the process alive until it has closed.
    this.#worker.ref();
    this.#worker.postMessage('stop');
    await this.#exited;
  }

  /** Ends the thread as a crash would (for tests of the fallback). */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
    await this.#exited;
  }
}

/**
 * Moves the checkpoints of a file database's writer to a thread. Should the
 * thread fail, the writer checkpoints as SQLite does by default again.
 */
export function backgroundCheckpoints(database: Database, path: string): SqliteCheckpointer {
  database.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
  return new SqliteCheckpointer(path, {
    onError: (message) => {
      if (!database.open) return;
      database.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_CHECKPOINT_PAGES}`);
      process.emitWarning(
        `SQLite checkpoint thread: ${message}; the writer checkpoints again itself`,
      );
    },
  });
}
