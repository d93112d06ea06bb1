import type { Clock, Processor } from '../domain/ports.js';
import type { RequestEnvelope } from '../domain/types.js';
import { canonicalDigest } from '../signing/request-digest.js';

/** The default processor: the request data, its digest and the signing time. */
export class NotarizeProcessor implements Processor {
  readonly name = 'notarize';

  constructor(private readonly clock: Clock) {}

  async run(envelope: RequestEnvelope): Promise<unknown> {
    return {
      request: envelope.data,
      digest: { alg: 'SHA-256', jcs: true, value: canonicalDigest(envelope.data) },
      notarizedAt: this.clock.now().toISOString(),
    };
  }
}
