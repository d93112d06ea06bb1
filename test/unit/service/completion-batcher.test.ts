import { describe, expect, it } from 'vitest';
import type { CompletedResult, CompleteOutcome, RequestQueue } from '../../../src/domain/ports.js';
import { CompletionBatcher } from '../../../src/service/completion-batcher.js';

const result = (kid: string): CompletedResult => ({
  token: 't',
  kid,
  signedResponse: { data: null, signature: 's', kid, caLocations: [] },
});

/** Records the batches it is asked to complete. */
function recordingQueue(answer: (id: string) => CompleteOutcome | Error) {
  const batches: string[][] = [];
  const queue = {
    complete: async () => 'completed' as const,
    completeMany: async (_owner: string, items: readonly { requestId: string }[]) => {
      batches.push(items.map((i) => i.requestId));
      const answers = items.map((i) => answer(i.requestId));
      const failure = answers.find((a) => a instanceof Error);
      if (failure) throw failure;
      return answers as CompleteOutcome[];
    },
  } as unknown as RequestQueue;
  return { queue, batches };
}

describe('CompletionBatcher', () => {
  it('records completions of the same moment in one batch, each with its own outcome', async () => {
    const { queue, batches } = recordingQueue((id) => (id === 'b' ? 'lease-lost' : 'completed'));
    const batcher = new CompletionBatcher(queue, 'w1');
    const outcomes = await Promise.all(
      ['a', 'b', 'c'].map((id) => batcher.complete(id, result('k'))),
    );
    expect(outcomes).toEqual(['completed', 'lease-lost', 'completed']);
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(await batcher.complete('d', result('k'))).toBe('completed');
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('fails every completion of a batch whose transaction failed', async () => {
    const { queue } = recordingQueue(() => new Error('database is locked'));
    const batcher = new CompletionBatcher(queue, 'w1');
    const settled = await Promise.allSettled(
      ['a', 'b'].map((id) => batcher.complete(id, result('k'))),
    );
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
  });

  it('completes one by one on a queue without completeMany', async () => {
    const calls: string[] = [];
    const queue = {
      complete: async (id: string) => {
        calls.push(id);
        return 'completed' as const;
      },
    } as unknown as RequestQueue;
    const batcher = new CompletionBatcher(queue, 'w1');
    await Promise.all(['a', 'b'].map((id) => batcher.complete(id, result('k'))));
    expect(calls).toEqual(['a', 'b']);
  });
});
