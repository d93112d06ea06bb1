import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSignet, type SignetProcess } from './signet-process.js';
import { tempDir } from './temp.js';

/** Several `signet serve` processes on one PostgreSQL database, sharing one master key. */
export interface Cluster {
  adminToken: string;
  /** What every instance gets: database URL, master key, config (for the CLI, too). */
  env: Record<string, string>;
  instances: SignetProcess[];
  /** Starts one more instance (waits for it to be healthy). */
  add(): Promise<SignetProcess>;
  stop(): Promise<void>;
}

export async function startCluster(options: {
  databaseUrl: string;
  size: number;
  config: string;
  env?: Record<string, string>;
}): Promise<Cluster> {
  const dir = tempDir('signet-cluster-');
  const configPath = join(dir.path, 'signet.yaml');
  writeFileSync(configPath, options.config);
  const adminToken = `sig_${randomBytes(24).toString('base64url')}`;
  const env: Record<string, string> = {
    SIGNET_DATABASE_URL: options.databaseUrl,
    SIGNET_MASTER_KEY: randomBytes(32).toString('base64'),
    SIGNET_CONFIG: configPath,
    ...options.env,
  };
  if (options.databaseUrl === '') delete env.SIGNET_DATABASE_URL;
  const instances: SignetProcess[] = [];
  const add = async () => {
    const instance = await startSignet({
      dataDir: join(dir.path, `instance-${instances.length}`),
      adminToken,
      env,
    });
    instances.push(instance);
    return instance;
  };
  // The first one alone: it migrates the database and creates the first key.
  await add();
  await Promise.all(Array.from({ length: options.size - 1 }, add));
  return {
    adminToken,
    env,
    instances,
    add,
    stop: async () => {
      await Promise.all(
        instances.map((instance) =>
          instance.child.exitCode === null && instance.child.signalCode === null
            ? instance.stop()
            : undefined,
        ),
      );
      dir.remove();
    },
  };
}

export interface LoadResult {
  /** Idempotency key → request id, for every submission that was accepted (202). */
  accepted: Map<string, string>;
  /** Answers other than 202, by status (0: connection failed), retried on another instance. */
  refused: Map<number, number>;
}

/**
 * Closed-loop clients submitting requests spread over the live
 * instances. A submission that fails (instance killed, 503) is sent again to
 * the next instance with the same Idempotency-Key, a bounded number of times.
 */
export async function submitLoad(options: {
  targets: () => string[];
  token: string;
  /** Whether to submit request number `n` (0, 1, …); the load stops at the first false. */
  more: (n: number) => boolean | Promise<boolean>;
  concurrency: number;
  onAccepted?: (count: number) => void;
  maxTries?: number;
}): Promise<LoadResult> {
  const accepted = new Map<string, string>();
  const refused = new Map<number, number>();
  let next = 0;
  let turn = 0;
  const submitOne = async (n: number) => {
    const key = `load-${n}`;
    for (let attempt = 0; attempt < (options.maxTries ?? 40); attempt++) {
      const targets = options.targets();
      const url = targets[turn++ % targets.length];
      let status = 0;
      try {
        const response = await fetch(`${url}/request`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${options.token}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          body: JSON.stringify({ data: { n } }),
          signal: AbortSignal.timeout(10_000),
        });
        status = response.status;
        const body = (await response.json()) as { requestId?: string };
        if (status === 202 && body.requestId) {
          accepted.set(key, body.requestId);
          options.onAccepted?.(accepted.size);
          return;
        }
      } catch {
        // connection refused or reset: the instance is gone
      }
      refused.set(status, (refused.get(status) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`submission ${key} was never accepted`);
  };
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (;;) {
        const n = next++;
        if (!(await options.more(n))) return;
        await submitOne(n);
      }
    }),
  );
  return { accepted, refused };
}
