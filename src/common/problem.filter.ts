import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
  Optional,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { isDatabaseUnavailable } from './database-unavailable.js';
import { ApiError, PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from './problem.js';

/** 503 `database_unavailable`: the client retries after this many seconds. */
const DATABASE_RETRY_AFTER_SECONDS = 2;
/** During an outage, one warning line per this period, with how many requests it refused. */
const OUTAGE_LOG_PERIOD_MS = 1000;
let outageLoggedAt = 0;
let outageRefused = 0;

/**
 * Marks an answer whose request line need not be logged on its own (pino-http, see
 * config/logging.ts): the database outage is reported by one throttled warning instead.
 */
export const QUIET_ANSWER = Symbol('quietAnswer');

function logOutage(logger: Logger | undefined, err: unknown): void {
  outageRefused++;
  const now = Date.now();
  if (now - outageLoggedAt < OUTAGE_LOG_PERIOD_MS) return;
  outageLoggedAt = now;
  logger?.warn(
    { refused: outageRefused, reason: (err as Error)?.message },
    'database unavailable: answering 503 database_unavailable',
  );
  outageRefused = 0;
}

/** Titles for statuses reached without an ApiError (framework errors). */
const GENERIC: Record<number, { code: string; title: string }> = {
  400: { code: 'bad_request', title: 'Bad request' },
  401: { code: 'unauthorized', title: 'Authentication required' },
  403: { code: 'forbidden', title: 'Forbidden' },
  404: { code: 'not_found', title: 'Not found' },
  405: { code: 'method_not_allowed', title: 'Method not allowed' },
  406: { code: 'not_acceptable', title: 'Not acceptable' },
  409: { code: 'conflict', title: 'Conflict' },
  413: { code: 'payload_too_large', title: 'Payload too large' },
  415: { code: 'unsupported_media_type', title: 'Unsupported media type' },
  422: { code: 'unprocessable_entity', title: 'Unprocessable entity' },
  429: { code: 'rate_limited', title: 'Too many requests' },
  500: { code: 'internal_error', title: 'Internal error' },
  502: { code: 'bad_gateway', title: 'Bad gateway' },
  503: { code: 'service_unavailable', title: 'Service unavailable' },
  504: { code: 'gateway_timeout', title: 'Gateway timeout' },
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  [key: string]: unknown;
}

/**
 * Turns anything thrown into an RFC 9457 answer. Internal messages and stacks are logged
 * (with the request id) and never sent: a client sees only the stable code and a safe detail.
 */
export function toProblem(
  exception: unknown,
  requestId: string,
  logger?: Logger,
): { problem: Problem; headers: Record<string, string> } {
  let status = HttpStatus.INTERNAL_SERVER_ERROR;
  let code = GENERIC[500].code;
  let title = GENERIC[500].title;
  let detail = 'An unexpected error occurred. Quote the request id to the operator.';
  let extras: Record<string, unknown> = {};
  let headers: Record<string, string> = {};

  // Nest maps body-parser's errors to HttpExceptions and keeps the original as `cause`.
  const cause = exception instanceof HttpException ? exception.cause : undefined;
  const bodyParserError = (cause ?? exception) as { type?: string; status?: number };
  // An ApiError thrown by a body-parser `verify` hook (input-guard) arrives as the cause.
  const apiError =
    exception instanceof ApiError ? exception : cause instanceof ApiError ? cause : undefined;
  if (!(exception instanceof HttpException) && isDatabaseUnavailable(exception)) {
    // An outage, not a bug: a retryable answer and a throttled warning, not one error per request.
    logOutage(logger, exception);
    return {
      problem: {
        type: PROBLEM_TYPE_BASE + 'database_unavailable',
        title: 'Database unavailable',
        status: 503,
        detail: 'The service cannot reach its database for the moment. Retry shortly.',
        code: 'database_unavailable',
        requestId,
      },
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
    };
  } else if (apiError) {
    status = apiError.getStatus();
    ({ code, title, detail } = apiError);
    extras = apiError.extras;
    headers = apiError.headers;
  } else if (bodyParserError?.type === 'entity.too.large') {
    status = 413;
    ({ code, title } = GENERIC[413]);
    detail = 'The request body exceeds the size limit.';
  } else if (bodyParserError?.type === 'entity.parse.failed' || cause instanceof URIError) {
    status = 400;
    code = 'malformed_body';
    title = 'Malformed request body';
    detail = 'The request body could not be parsed.';
  } else if (
    bodyParserError?.type &&
    typeof bodyParserError.status === 'number' &&
    bodyParserError.status < 500
  ) {
    // Other body-parser errors (charset, encoding, parameters limit): safe, generic answer.
    status = bodyParserError.status;
    ({ code, title } = GENERIC[status] ?? GENERIC[400]);
    detail = 'The request body was refused.';
  } else if (exception instanceof HttpException) {
    status = exception.getStatus();
    const generic = GENERIC[status] ?? { code: `http_${status}`, title: 'Error' };
    ({ code, title } = generic);
    const response = exception.getResponse() as { message?: unknown } | string;
    const messages = typeof response === 'object' ? response.message : undefined;
    if (status === 404) {
      detail = 'No such resource.';
    } else if (status < 500) {
      detail = typeof messages === 'string' ? messages : title;
    } else {
      detail = title;
    }
  }
  if (status >= 500 && !apiError) {
    logger?.error({ err: exception, requestId }, 'unhandled error');
  }
  return {
    problem: { type: PROBLEM_TYPE_BASE + code, title, status, detail, code, requestId, ...extras },
    headers,
  };
}

/**
 * Renders a problem as an HTML page for a person's browser (provided by the composition root,
 * so that `common` depends on no page module). Optional: without it every answer is JSON.
 */
export const PROBLEM_HTML_PAGE = Symbol('PROBLEM_HTML_PAGE');
export type ProblemHtmlPage = (problem: Problem) => string;

/** Paths of machine-facing APIs: they answer problem+json whatever `Accept` says. */
const API_PATH = /^\/(api|oauth|\.well-known|health|metrics|docs)(\/|$|-)/;

/** A GET (or HEAD) outside the machine-facing APIs: a URL a person may type or follow. */
function isPageRequest(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && !API_PATH.test(req.path);
}

/**
 * Whether this request comes from a person's browser on a page URL: a GET (or HEAD) outside the
 * APIs whose `Accept` prefers HTML to JSON (browsers send `text/html` first; API clients send
 * JSON or `*\/*`, which picks JSON).
 */
export function wantsHtmlPage(req: Request): boolean {
  if (!isPageRequest(req)) return false;
  if (!req.headers.accept) return false;
  return req.accepts(['application/json', PROBLEM_CONTENT_TYPE, 'text/html']) === 'text/html';
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  constructor(@Optional() @Inject(PROBLEM_HTML_PAGE) private readonly htmlPage?: ProblemHtmlPage) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const { problem, headers } = toProblem(exception, req.id ?? 'unknown', this.logger);
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (problem.code === 'database_unavailable') {
      (res as unknown as Record<symbol, boolean>)[QUIET_ANSWER] = true;
    }
    if (this.htmlPage && isPageRequest(req)) {
      // The same URL answers HTML or JSON by `Accept`: caches must key on it.
      res.vary('Accept');
      if (wantsHtmlPage(req) && !(problem.status >= 300 && problem.status < 400)) {
        res
          .status(problem.status)
          .set('Cache-Control', 'no-store')
          .type('html')
          .send(this.htmlPage(problem));
        return;
      }
    }
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}
