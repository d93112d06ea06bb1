import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one Signet process. */
export class SignetMetrics {
  readonly registry = new Registry();
  readonly submitted = new Counter({
    name: 'signet_requests_submitted_total',
    help: 'Requests accepted',
    registers: [this.registry],
  });
  readonly settled = new Counter({
    name: 'signet_requests_settled_total',
    help: 'Requests that completed or failed',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'signet_submit_to_token_seconds',
    help: 'Time from acceptance to token',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'signet_queue_requests',
    help: 'Requests in the store by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly caHealthy = new Gauge({
    name: 'signet_ca_healthy',
    help: '1 when the CA is healthy, 0 when not',
    labelNames: ['ca'] as const,
    registers: [this.registry],
  });
  readonly rotations = new Counter({
    name: 'signet_key_events_total',
    help: 'Key events (rotations, revocations)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'signet_' });
  }
}
