/**
 * Requests that Node's HTTP parser refuses (a bad request line, an invalid
 * header, headers over the limit, a body framed two ways) never reach a
 * route. Fastify's default answer to them is plain JSON without `code` and
 * without `Connection: close`, so a keep-alive client may reuse the socket
 * the server is about to destroy. This answers RFC 9457 problem+json like
 * every other error, and says that the connection ends.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { SignetErrorCode } from '../domain/errors.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

interface ParserError extends Error {
  code?: string;
}

function classify(err: ParserError): { status: number; code: SignetErrorCode; detail: string } {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, code: 'ERR_VALIDATION', detail: 'the request did not arrive in time' };
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, code: 'ERR_VALIDATION', detail: 'the request headers are too large' };
  }
  return { status: 400, code: 'ERR_VALIDATION', detail: 'the request is not valid HTTP/1.1' };
}

export function problemClientErrorHandler(err: ParserError, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, detail } = classify(err);
  const body = JSON.stringify({
    type: `urn:signet:error:${code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    instance: '',
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}
