import type { LeaderLock } from '../domain/ports.js';

/** SQLite: one process serves the database file, so it always leads. */
export class AlwaysLeader implements LeaderLock {
  isLeader(): boolean {
    return true;
  }

  onChange(): () => void {
    return () => undefined;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
