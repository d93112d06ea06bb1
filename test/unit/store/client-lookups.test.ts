import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/index.js';
import { tempDir } from '../../support/temp.js';

const AT = new Date('2026-11-26T00:00:00Z');
const alice = { id: 'alice', role: 'client' as const, at: AT };
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('token lookups on SQLite, kept in memory until the clients may have changed', () => {
  const dir = tempDir();
  const path = join(dir.path, 'signet.db');
  let store: Store;
  /** Another connection to the same file: what the CLI beside the server is. */
  let other: BetterSqlite3.Database;

  beforeEach(async () => {
    store = await openStore({ kind: 'sqlite', path });
    other = new BetterSqlite3(path);
    await store.clients.upsert({ ...alice, tokenId: 'old-token-id', secretHash: 'old-hash' });
  });
  afterEach(async () => {
    other.close();
    await store.close();
    dir.remove();
  });

  it('serves a repeated lookup from memory while nothing has changed', async () => {
    expect(await store.clients.findByTokenId('old-token-id')).toMatchObject({ id: 'alice' });
    // Behind the repository's back, on its own connection: not seen, as nothing in the service writes so.
    await store.db.deleteFrom('clients').execute();
    expect(await store.clients.findByTokenId('old-token-id')).toMatchObject({
      id: 'alice',
      secretHash: 'old-hash',
    });
  });

  it('sees a token replaced by another process from the next turn of the event loop', async () => {
    expect(await store.clients.findByTokenId('old-token-id')).toMatchObject({ id: 'alice' });
    other
      .prepare(
        "update clients set token_id = 'new-token-id', secret_hash = 'new-hash' where id = ?",
      )
      .run('alice');
    // Requests of this turn arrived before the replacement committed.
    expect(await store.clients.findByTokenId('old-token-id')).toMatchObject({ id: 'alice' });
    await nextTurn();
    expect(await store.clients.findByTokenId('old-token-id')).toBeUndefined();
    expect(await store.clients.findByTokenId('new-token-id')).toMatchObject({
      id: 'alice',
      secretHash: 'new-hash',
    });
  });

  it('sees a client removed by another process from the next turn', async () => {
    expect(await store.clients.findByTokenId('old-token-id')).toBeDefined();
    other.prepare('delete from clients where id = ?').run('alice');
    await nextTurn();
    expect(await store.clients.findByTokenId('old-token-id')).toBeUndefined();
  });

  it('sees a token replaced through the repository as soon as the replacement resolves', async () => {
    expect(await store.clients.findByTokenId('old-token-id')).toBeDefined();
    await store.clients.upsert({ ...alice, tokenId: 'new-token-id', secretHash: 'new-hash' });
    expect(await store.clients.findByTokenId('old-token-id')).toBeUndefined();
    expect(await store.clients.findByTokenId('new-token-id')).toMatchObject({ role: 'client' });
  });

  it('does not keep what a lookup read while the token was being replaced', async () => {
    const during = store.clients.findByTokenId('old-token-id');
    const replaced = store.clients.upsert({
      ...alice,
      tokenId: 'new-token-id',
      secretHash: 'new-hash',
    });
    await Promise.all([during, replaced]);
    expect(await store.clients.findByTokenId('old-token-id')).toBeUndefined();
  });

  it('does not remember a token that is not there (it may be added later)', async () => {
    expect(await store.clients.findByTokenId('later-token-id')).toBeUndefined();
    other
      .prepare(
        "insert into clients (id, role, token_id, secret_hash, created_at) values ('bob', 'client', 'later-token-id', 'h', 1)",
      )
      .run();
    expect(await store.clients.findByTokenId('later-token-id')).toMatchObject({ id: 'bob' });
  });
});
