/** The operations the closed loops run: one token per operation (or a batch of them). */
import type { KeepAliveClient } from './http-client.js';

export type Operation = (loop: number) => Promise<number>;

let counter = 0;
const body = (): string => JSON.stringify({ data: { order: ++counter, amount: '10.00' } });

function expectToken(answer: { status: number; body: string }, what: string): string {
  if (answer.status !== 200)
    throw new Error(`${what}: ${answer.status} ${answer.body.slice(0, 200)}`);
  const view = JSON.parse(answer.body) as { status?: string; token?: string };
  if (view.status !== 'completed' || !view.token)
    throw new Error(`${what}: ${answer.body.slice(0, 200)}`);
  return view.token;
}

/** The baseline: one synchronous POST answers the token. */
export function baselineSign(client: KeepAliveClient, token: string): Operation {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  return async () => {
    expectToken(await client.send('POST', '/request', headers, body()), 'baseline');
    return 1;
  };
}

/** Signet, as the contract describes: POST /request (202), then GET /status/{id}?wait=N. */
export function signetSubmitAndPoll(client: KeepAliveClient, token: string, waitS = 10): Operation {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const auth = { authorization: headers.authorization };
  return async () => {
    const submitted = await client.send('POST', '/request', headers, body());
    if (submitted.status !== 202) throw new Error(`submit: ${submitted.status} ${submitted.body}`);
    const { requestId } = JSON.parse(submitted.body) as { requestId: string };
    expectToken(await client.send('GET', `/status/${requestId}?wait=${waitS}`, auth), 'status');
    return 1;
  };
}

/** Signet's fast path: POST /request with `Prefer: wait=N` answers the token when ready in time. */
export function signetPreferWait(client: KeepAliveClient, token: string, waitS = 10): Operation {
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    prefer: `wait=${waitS}`,
  };
  const auth = { authorization: headers.authorization };
  return async () => {
    const answer = await client.send('POST', '/request', headers, body());
    if (answer.status === 202) {
      const { requestId } = JSON.parse(answer.body) as { requestId: string };
      expectToken(await client.send('GET', `/status/${requestId}?wait=${waitS}`, auth), 'status');
      return 1;
    }
    expectToken(answer, 'prefer');
    return 1;
  };
}

/** Signet's batch submission: POST /requests with `size` items and `Prefer: wait=N`. */
export function signetBatch(
  client: KeepAliveClient,
  token: string,
  size: number,
  waitS = 10,
): Operation {
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    prefer: `wait=${waitS}`,
  };
  const auth = { authorization: headers.authorization };
  return async () => {
    const items = Array.from({ length: size }, () => JSON.parse(body()) as unknown);
    const answer = await client.send('POST', '/requests', headers, JSON.stringify({ items }));
    if (answer.status !== 200 && answer.status !== 202) {
      throw new Error(`batch: ${answer.status} ${answer.body.slice(0, 200)}`);
    }
    const { items: results } = JSON.parse(answer.body) as {
      items: { requestId: string; status: string; token?: string }[];
    };
    for (const item of results) {
      if (item.status === 'completed' && item.token) continue;
      expectToken(
        await client.send('GET', `/status/${item.requestId}?wait=${waitS}`, auth),
        'status',
      );
    }
    return results.length;
  };
}
