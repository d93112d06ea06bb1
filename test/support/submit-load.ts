/**
 * Closed-loop submitters for fault tests: `loops` concurrent clients POST
 * /request back to back until stopped (or `maxMs` passes: the load always
 * ends by itself). Every 202 is recorded as accepted.
 */
export interface SubmitLoad {
  /** Request ids the server acknowledged with 202. */
  readonly accepted: string[];
  /** Answers other than 202, by status. */
  readonly refused: Map<number, number>;
  /** Requests that got no answer (connection refused or reset). */
  readonly unanswered: number;
  stop(): Promise<void>;
}

export interface SubmitLoadOptions {
  url: string;
  token: string;
  loops: number;
  maxMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function submitLoad(options: SubmitLoadOptions): SubmitLoad {
  const accepted: string[] = [];
  const refused = new Map<number, number>();
  let unanswered = 0;
  let stopped = false;
  const deadline = Date.now() + (options.maxMs ?? 30_000);
  const headers = {
    authorization: `Bearer ${options.token}`,
    'content-type': 'application/json',
  };
  let n = 0;

  async function loop(index: number): Promise<void> {
    while (!stopped && Date.now() < deadline) {
      try {
        const response = await fetch(`${options.url}/request`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ data: { loop: index, n: n++ } }),
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await response.json()) as { requestId?: string };
        if (response.status === 202 && body.requestId) accepted.push(body.requestId);
        else refused.set(response.status, (refused.get(response.status) ?? 0) + 1);
      } catch {
        unanswered += 1;
        await sleep(20);
      }
    }
  }

  const running = Promise.all(Array.from({ length: options.loops }, (_, i) => loop(i)));
  return {
    accepted,
    refused,
    get unanswered() {
      return unanswered;
    },
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}
