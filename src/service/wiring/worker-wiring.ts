import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CaHealthMonitor } from '../../ca/ca-health.js';
import type { CAValidator } from '../../ca/ca-validator.js';
import type { SignetConfig } from '../../config/loader.js';
import type { Clock, Processor } from '../../domain/ports.js';
import type { KeyManager } from '../../keys/key-manager.js';
import { HttpUpstreamProcessor } from '../../processors/http-upstream.js';
import { NotarizeProcessor } from '../../processors/notarize.js';
import type { SignatureGenerator } from '../../signing/signature-generator.js';
import { TokenGenerator } from '../../signing/token-generator.js';
import type { Store } from '../../store/index.js';
import { AsynchronousWorker, type Settlement } from '../asynchronous-worker.js';
import { CallbackSender } from '../callback-sender.js';
import { CompletionWaiter } from '../completion-waiter.js';
import type { SignetMetrics } from '../metrics.js';
import type { OutboundGuard } from '../outbound-guard.js';
import { ResponseAssembler } from '../response-assembler.js';
import { SigningPipeline } from '../signing-pipeline.js';

export function createProcessors(config: SignetConfig, clock: Clock): Map<string, Processor> {
  const processors = new Map<string, Processor>([['notarize', new NotarizeProcessor(clock)]]);
  if (config.processors.http) {
    const { url, timeout } = config.processors.http;
    processors.set('http', new HttpUpstreamProcessor({ url, timeoutMs: timeout }));
  }
  return processors;
}

export interface WorkerDeps {
  store: Store;
  keyManager: KeyManager;
  caValidator: CAValidator;
  health: CaHealthMonitor;
  signatureGenerator: SignatureGenerator;
  processors: ReadonlyMap<string, Processor>;
  guard: OutboundGuard;
  metrics: SignetMetrics;
  clock: Clock;
  logger: Logger;
}

/** The pipeline of the specification's workflow, run by the worker, with what follows a settlement. */
export function wireWorker(
  config: SignetConfig,
  deps: WorkerDeps,
): { worker: AsynchronousWorker; waiter: CompletionWaiter } {
  const { store, clock, logger, metrics } = deps;
  const pipeline = new SigningPipeline({
    keyManager: deps.keyManager,
    processors: deps.processors,
    signatureGenerator: deps.signatureGenerator,
    caValidator: deps.caValidator,
    responseAssembler: new ResponseAssembler(),
    tokenGenerator: new TokenGenerator(config.publicUrl),
    clock,
    publicUrl: config.publicUrl,
    // A key that rotates after N signatures is looked up for every one, so that it stops at N.
    ...(config.keys.maxSignatures !== undefined ? { keyReuseMs: 0 } : {}),
  });
  const callbacks = new CallbackSender(deps.guard, config.callbacks.timeout, logger);
  const waiter = new CompletionWaiter();
  const afterSettled = (
    requestId: string,
    outcome: 'completed' | 'failed',
    createdAt: Date,
    callbackUrl: string | undefined,
  ): void => {
    metrics.latency.observe((clock.now().getTime() - createdAt.getTime()) / 1000);
    if (callbackUrl) {
      void callbacks.send(callbackUrl, {
        requestId,
        status: outcome,
        statusUrl: `${config.publicUrl}/status/${requestId}`,
      });
    }
  };
  const onSettled = (
    requestId: string,
    outcome: 'completed' | 'failed',
    settlement?: Settlement,
  ): void => {
    metrics.settled.inc({ outcome });
    if (settlement) {
      // The worker said how it settled: long-polls and callbacks need not read it back.
      const { envelope, result, error } = settlement;
      waiter.settled(requestId, {
        clientId: envelope.clientId,
        view: {
          requestId,
          status: outcome,
          ...(result ? { token: result.token, signedResponse: result.signedResponse } : {}),
          ...(outcome === 'failed' && error ? { error } : {}),
        },
      });
      afterSettled(requestId, outcome, envelope.receivedAt, envelope.callbackUrl);
      return;
    }
    waiter.settled(requestId);
    void store.requests
      .get(requestId)
      .then((record) => {
        if (record) afterSettled(requestId, outcome, record.createdAt, record.callbackUrl);
      })
      // E.g. the database went away right after the completion: an unhandled rejection
      // would end the process.
      .catch((err: unknown) =>
        logger.warn({ err, requestId }, 'could not read a settled request back'),
      );
  };
  // Any key change, made here or (notified) by another instance: the next signature looks again.
  store.keyChanges.subscribe(() => pipeline.forgetKeys());
  // A CA turning unhealthy (or healthy again): the next request validates the key afresh.
  deps.health.onChange(() => pipeline.forgetKeys());
  const worker = new AsynchronousWorker({
    queue: store.requests,
    notifier: store.notifier,
    pipeline: (envelope) => pipeline.run(envelope),
    onKeyRefused: () => pipeline.forgetKeys(),
    owner: `worker-${randomUUID()}`,
    leaseMs: config.queue.lease,
    batchSize: config.queue.batchSize,
    concurrency: config.queue.concurrency,
    maxAttempts: config.queue.maxAttempts,
    backoffMs: config.queue.backoff,
    maxBackoffMs: config.queue.maxBackoff,
    onAllDown: config.validation.onAllDown,
    clock,
    logger,
    onSettled,
  });
  return { worker, waiter };
}
