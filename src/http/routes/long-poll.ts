import type { RequestRecord } from '../../domain/types.js';
import type { AuthenticatedClient, SignetApi, StatusView } from '../../service/api.js';

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
  let onAbort = (): void => {};
  const closed = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    closing.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const view = await Promise.race([api.status(client, requestId, waitMs, current), closed]);
    return view ?? (await api.status(client, requestId, 0));
  } finally {
    closing.removeEventListener('abort', onAbort);
  }
}
