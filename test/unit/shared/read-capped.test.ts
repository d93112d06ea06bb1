import { describe, expect, it } from 'vitest';
import { readCapped } from '../../../src/shared/read-capped.js';

/** An answer whose body arrives in `chunks` pieces of `size` bytes, counting how many were pulled and whether it was cancelled. */
function streamedAnswer(chunks: number, size: number) {
  const seen = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled === chunks) return controller.close();
      seen.pulled += 1;
      controller.enqueue(new Uint8Array(size).fill(seen.pulled));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { response: new Response(body), seen };
}

const tooLarge = () => new Error('too large');

describe('readCapped', () => {
  it('returns the whole body, in order, when it stays within the cap', async () => {
    const { response, seen } = streamedAnswer(3, 4);
    const body = await readCapped(response, 12, tooLarge);
    expect([...body]).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(seen.cancelled).toBe(false);
  });

  it('stops reading and cancels the stream as soon as the body passes the cap', async () => {
    const { response, seen } = streamedAnswer(1000, 1024);
    await expect(readCapped(response, 4096, tooLarge)).rejects.toThrow('too large');
    expect(seen.cancelled).toBe(true);
    // The fifth chunk crossed the cap; the rest was never pulled.
    expect(seen.pulled).toBeLessThan(8);
  });

  it('reads an answer without a body as empty', async () => {
    const body = await readCapped(new Response(null, { status: 204 }), 10, tooLarge);
    expect(body.length).toBe(0);
  });
});
