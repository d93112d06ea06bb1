import type { FastifyInstance, FastifyServerOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../../../src/http/app.js';
import { StubSignetApi, TOKENS, testConfig, type ServerConfig } from './stub-api.js';
import type { ProblemBody } from '../../support/problem.js';

export interface Harness {
  app: FastifyInstance;
  api: StubSignetApi;
}

export async function makeApp(
  server: Partial<ServerConfig['server']> = {},
  logger?: FastifyServerOptions['logger'],
): Promise<Harness> {
  const api = new StubSignetApi();
  const app = await buildApp({ api, config: testConfig(server), logger });
  await app.ready();
  return { app, api };
}

export function bearer(who: keyof typeof TOKENS): { authorization: string } {
  return { authorization: `Bearer ${TOKENS[who]}` };
}

/** Asserts an RFC 9457 answer with the given status and code, and returns its body. */
export function expectProblem(
  res: LightMyRequestResponse,
  status: number,
  code: string,
): ProblemBody {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json<ProblemBody>();
  expect(body).toMatchObject({ status, code, title: expect.any(String) });
  expect(typeof body.type).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(typeof body.instance).toBe('string');
  return body;
}
