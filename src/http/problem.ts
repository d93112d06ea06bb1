/**
 * RFC 9457 problem details: every error answer of the API goes through here,
 * so clients can always match on `code`.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isSignetError, type SignetErrorCode } from '../domain/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: SignetErrorCode;
  instance: string;
  errors?: FieldError[];
}

interface Classified {
  status: number;
  code: SignetErrorCode;
  detail: string;
  errors?: FieldError[];
}

const GENERIC_5XX: Record<number, string> = {
  503: 'The service is temporarily unavailable; retry later.',
};

/** Fastify's own error codes, for errors that happen before a handler runs. */
const FRAMEWORK: Record<string, { status: number; code: SignetErrorCode; detail?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'ERR_BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    detail: 'Content-Type must be application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'ERR_VALIDATION' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'ERR_VALIDATION',
    detail: 'body must be a JSON document',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'ERR_VALIDATION',
    detail: 'body is not valid JSON',
  },
  FST_ERR_BAD_URL: { status: 400, code: 'ERR_VALIDATION', detail: 'the URL is malformed' },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 400,
    code: 'ERR_VALIDATION',
    detail: 'a path parameter is too long',
  },
  FST_ERR_NOT_FOUND: { status: 404, code: 'ERR_NOT_FOUND', detail: 'no such resource' },
};

const CODE_BY_STATUS: Record<number, SignetErrorCode> = {
  401: 'ERR_UNAUTHENTICATED',
  403: 'ERR_FORBIDDEN',
  404: 'ERR_NOT_FOUND',
  413: 'ERR_BODY_TOO_LARGE',
  415: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  429: 'ERR_RATE_LIMITED',
};

interface AjvIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function fieldErrors(error: FastifyError): FieldError[] {
  const context = error.validationContext ?? 'body';
  return (error.validation as AjvIssue[]).map((issue) => {
    let field = `${context}${issue.instancePath ?? ''}`;
    const extra = issue.params?.additionalProperty ?? issue.params?.missingProperty;
    if (typeof extra === 'string') field += `/${extra}`;
    const message =
      issue.keyword === 'additionalProperties' ? 'is not allowed' : (issue.message ?? 'is invalid');
    return { field, message };
  });
}

function classify(error: unknown): Classified {
  if (isSignetError(error)) {
    return { status: error.httpStatus, code: error.code, detail: error.message };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (Array.isArray(fastifyError.validation)) {
    const errors = fieldErrors(fastifyError as FastifyError);
    const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
    return { status: 400, code: 'ERR_VALIDATION', detail, errors };
  }
  // JSON.parse errors from the body parser carry statusCode 400 but no code.
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return { status: 400, code: 'ERR_VALIDATION', detail: 'body is not valid JSON' };
  }
  const known = fastifyError.code === undefined ? undefined : FRAMEWORK[fastifyError.code];
  if (known) {
    return { ...known, detail: known.detail ?? fastifyError.message ?? 'invalid request' };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'ERR_VALIDATION';
    return { status, code, detail: fastifyError.message ?? STATUS_CODES[status] ?? 'error' };
  }
  return { status: 500, code: 'ERR_INTERNAL', detail: '' };
}

function instanceOf(request: FastifyRequest): string {
  const url = request.raw.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export function toProblem(error: unknown, request: FastifyRequest): Problem {
  const classified = classify(error);
  const { status, code } = classified;
  const detail =
    status >= 500
      ? (GENERIC_5XX[status] ?? 'An internal error occurred; it has been logged.')
      : classified.detail;
  const problem: Problem = {
    type: `urn:signet:error:${code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    instance: instanceOf(request),
  };
  if (classified.errors) problem.errors = classified.errors;
  return problem;
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 401 && !reply.hasHeader('www-authenticate')) {
    reply.header('www-authenticate', 'Bearer realm="signet"');
  }
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** The app's error handler: exposes 4xx messages, hides and logs 5xx. */
export function problemErrorHandler(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const problem = toProblem(error, request);
  if (problem.status === 503) {
    // Expected while a dependency is down (database, CAs): one line each, not a stack trace.
    const reason = error instanceof Error ? error.message : String(error);
    request.log.warn({ code: problem.code, reason }, 'request refused: service unavailable');
  } else if (problem.status >= 500) {
    request.log.error({ err: error, code: problem.code }, 'request failed');
  } else {
    request.log.info({ code: problem.code, detail: problem.detail }, 'request rejected');
  }
  return sendProblem(reply, problem);
}
