import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';
import type { ProblemBody } from '../support/problem.js';

describe('rate limit', () => {
  const dir = tempDir();
  let signet: SignetProcess;
  beforeAll(async () => {
    const configPath = join(dir.path, 'signet.yaml');
    writeFileSync(configPath, 'server: { rateLimit: { max: 5, window: PT10S } }\n');
    signet = await startSignet({ dataDir: dir.path, env: { SIGNET_CONFIG: configPath } });
  });
  afterAll(async () => {
    await signet?.stop();
    dir.remove();
  });

  it('answers 429 problem+json with Retry-After once a client has spent its budget', async () => {
    const headers = {
      authorization: `Bearer ${signet.adminToken}`,
      'content-type': 'application/json',
    };
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 7; i++) {
      const response = await fetch(`${signet.url}/request`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ data: { i } }),
      });
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
      else await response.arrayBuffer();
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    expect(limited?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(limited?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(10);
    const problem = (await limited?.json()) as ProblemBody;
    expect(problem).toMatchObject({ status: 429, code: 'ERR_RATE_LIMITED' });
  });
});
