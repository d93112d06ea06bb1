/**
 * Run by removable-list-gc.test.ts in a child Node (with --trace-gc-nvp):
 * keeps 16 entries of ~1 KiB in a long-lived collection, adding one and
 * removing the oldest per step, as in-flight requests come and go.
 */
import { RemovableList } from '../../src/shared/removable-list.js';

const kind = process.argv[2];
const set = new Set<object>();
const list = new RemovableList<object>();
const ring: ({ payload: object; remove: () => void } | undefined)[] = new Array(16);
(globalThis as { gc?: () => void }).gc?.();
for (let step = 0; step < 400_000; step++) {
  const payload = { step, text: `${'x'.repeat(800)}${step}`, numbers: [step, step + 1] };
  const slot = step % ring.length;
  const oldest = ring[slot];
  if (kind === 'set') {
    set.add(payload);
    if (oldest) set.delete(oldest.payload);
    ring[slot] = { payload, remove: () => undefined };
  } else {
    oldest?.remove();
    ring[slot] = { payload, remove: list.add(payload) };
  }
}
process.stdout.write(`done ${kind} ${set.size + list.size}\n`);
