import type { RequestRecord } from '../../domain/types.js';
import type { AuthenticatedClient, SignetApi, StatusView } from '../../service/api.js';
import { RemovableList } from '../../shared/removable-list.js';

/**
 * The status of a request, waiting up to `waitMs` for it to settle. On
 * shutdown (`closing` aborted) it answers at once with the current state
 * instead of holding the close.
 */
export async function statusUntilClosing(
  api: SignetApi,
  closing: AbortSignal,
  client: AuthenticatedClient,
  requestId: string,
  waitMs: number,
  current?: RequestRecord,
): Promise<StatusView> {
  if (waitMs <= 0 || closing.aborted) return api.status(client, requestId, 0, current);
  let stopWatching = (): void => {};
  const closed = new Promise<undefined>((resolve) => {
    stopWatching = whenAborted(closing, () => resolve(undefined));
  });
  try {
    const view = await Promise.race([api.status(client, requestId, waitMs, current), closed]);
    return view ?? (await api.status(client, requestId, 0));
  } finally {
    stopWatching();
  }
}

/**
 * The callbacks to run when a signal aborts, behind one listener per signal:
 * a listener each (one per long-poll, hundreds for a batch) made adding and
 * removing them scan the signal's whole list. A list, not a Set: see RemovableList.
 */
const onAbort = new WeakMap<AbortSignal, RemovableList<() => void>>();

/** Runs `callback` once when `signal` aborts; the returned function cancels that. */
function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  return callbacksOf(signal).add(callback);
}

function callbacksOf(signal: AbortSignal): RemovableList<() => void> {
  const known = onAbort.get(signal);
  if (known) return known;
  const callbacks = new RemovableList<() => void>();
  signal.addEventListener(
    'abort',
    () => {
      for (const run of callbacks.values()) run();
    },
    { once: true },
  );
  onAbort.set(signal, callbacks);
  return callbacks;
}
