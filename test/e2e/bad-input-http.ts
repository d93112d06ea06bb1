/** Raw HTTP for the bad-input tests: paths sent exactly as given, and the problem+json every refusal must be. */
import { connect } from 'node:net';
import { expect } from 'vitest';
import type { ProblemBody } from '../support/problem.js';
import { type Answer, RawHttp } from '../support/raw-http.js';

const clients = new Map<string, RawHttp>();

/** A raw HTTP request: the path is sent exactly as given (fetch would normalise `..`). */
export function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Answer> {
  let client = clients.get(base);
  if (!client) {
    client = new RawHttp(base);
    clients.set(base, client);
  }
  return client.send(method, path, headers, body);
}

/** Bytes written on a fresh socket; resolves with everything the server answered. */
export function sendRaw(base: string, bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

export function problemOf(answer: Answer): ProblemBody {
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  const problem = JSON.parse(answer.text) as ProblemBody;
  expect(problem.status).toBe(answer.status);
  expect(problem.code).toMatch(/^ERR_[A-Z_]+$/);
  expect(problem.type).toBe(`urn:signet:error:${problem.code}`);
  expect(typeof problem.detail).toBe('string');
  return problem;
}

export function closeClients(): void {
  for (const client of clients.values()) client.close();
  clients.clear();
}
