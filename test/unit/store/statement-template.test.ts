import { describe, expect, it } from 'vitest';
import { StatementTemplate } from '../../../src/store/statement-template.js';
import { ManualClock } from '../../support/clock.js';
import { storeBackends, storePerTest } from '../../support/store-backends.js';

describe.each(await storeBackends())('StatementTemplate on $name', (backend) => {
  const fresh = storePerTest(backend, new ManualClock());

  const setError = () =>
    new StatementTemplate<{ id: string; error: string }>(['id', 'error'], (db, row) =>
      db
        .updateTable('requests')
        .set({ error: row.error, status: 'failed' })
        .where('id', '=', row.id)
        .where('status', '=', 'queued'),
    );

  it('runs the compiled statement again with each call’s values, constants kept', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { record } = await fresh.store().requests.enqueue({
        clientId: 'c',
        data: { i },
        processor: 'notarize',
        fingerprint: `f${i}`,
      });
      ids.push(record.requestId);
    }
    const template = setError();
    const first = await template.run(fresh.store().db, { id: ids[0] ?? '', error: 'one' });
    const second = await template.run(fresh.store().db, { id: ids[2] ?? '', error: 'two' });
    const again = await template.run(fresh.store().db, { id: ids[0] ?? '', error: 'three' });
    expect([first, second, again].map((r) => Number(r.numAffectedRows))).toEqual([1, 1, 0]);

    const rows = await fresh
      .store()
      .db.selectFrom('requests')
      .select(['id', 'status', 'error'])
      .execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect([0, 1, 2].map((i) => byId.get(ids[i] ?? ''))).toEqual([
      { id: ids[0], status: 'failed', error: 'one' },
      { id: ids[1], status: 'queued', error: null },
      { id: ids[2], status: 'failed', error: 'two' },
    ]);
  });

  it('refuses a builder that leaves a value out', async () => {
    const template = new StatementTemplate<{ id: string; error: string }>(
      ['id', 'error'],
      (db, row) => db.updateTable('requests').set({ error: 'fixed' }).where('id', '=', row.id),
    );
    await expect(template.run(fresh.store().db, { id: 'x', error: 'y' })).rejects.toThrow(
      /no parameter for error/,
    );
  });
});
