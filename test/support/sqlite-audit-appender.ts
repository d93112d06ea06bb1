/** Child process for the SQLite multi-process test: appends N audit entries to one file. */
import { openStore } from '../../src/store/index.js';

const [path, count] = process.argv.slice(2);
const store = await openStore({ kind: 'sqlite', path: path ?? '' });
let failed = 0;
for (let i = 0; i < Number(count); i++) {
  try {
    await store.audit.append({ actor: `pid-${process.pid}`, action: 'test.append' });
  } catch {
    failed++;
  }
}
await store.close();
process.stdout.write(JSON.stringify({ failed }));
