import type { Params } from 'nestjs-pino';
import type { DestinationStream, Logger as PinoLoggerInstance } from 'pino';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AppConfig } from './app-config.js';
import { QUIET_ANSWER } from '../common/index.js';

/**
 * What must never reach a log line: credentials, cookies, tokens and the identity pivot.
 * pino's redaction replaces these paths wherever they appear in a logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-passerelle-assertion"]',
  'req.headers["x-sandbox-token"]',
  'req.headers["x-csrf-token"]',
  'req.headers["proxy-authorization"]',
  'req.headers["x-passerelle-signature"]',
  'req.headers["dpop"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.client_secret',
  '*.clientSecret',
  '*.client_assertion',
  '*.access_token',
  '*.id_token',
  '*.refresh_token',
  '*.token',
  '*.csrf',
  '*.csrfToken',
  '*.operatorToken',
  '*.privateKey',
  '*.assertion',
  '*.code',
  '*.given_name',
  '*.family_name',
  '*.birthdate',
  '*.birthplace',
  '*.birthcountry',
  '*.email',
  '*.identity',
];

/** The request a log line is written for (set by requestLogging, read by pino's mixin). */
const currentRequest = new AsyncLocalStorage<{ id: string }>();

/** Paths whose successful answers are not logged (probes and scrapes, every few seconds). */
const UNLOGGED_PATHS = new Set(['/health/live', '/metrics']);

/**
 * pino's options, and nestjs-pino's in "existing logger" mode: the per-request logging is
 * requestLogging's (below), not pino-http's. pino-http makes a child logger per request bound to
 * the request, and a child's bindings are serialized and redacted when it is made, whether or not
 * anything is logged: ~60 µs of CPU per request here with our redaction paths (measured with
 * pino 10 and @pinojs/redact 0.4), a few percent of a consented fetch. Here the request is
 * serialized and redacted only when a line is written; the lines are pino-http's shape (`req`,
 * `res`, `responseTime`) plus `reqId` on every line logged while serving a request.
 */
export function loggerParams(config: AppConfig, destination?: DestinationStream): Params {
  return {
    useExisting: true,
    // In this mode nestjs-pino's own request middleware only opens a context holding no logger
    // (there is no pino-http child to bind): not mounted.
    forRoutes: [],
    pinoHttp: [
      {
        level: config.logLevel,
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        // Every line written while serving a request names it (services log through Nest's
        // Logger, which writes through this logger).
        mixin: () => {
          const request = currentRequest.getStore();
          return request ? { reqId: request.id } : {};
        },
        // Query strings can carry codes and states (OIDC callback): log the path only.
        serializers: {
          req: (req: IncomingMessage & { id: string }) => ({
            id: req.id,
            method: req.method,
            path: String(req.url).split('?')[0],
            headers: req.headers,
          }),
          res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
        },
      },
      destination ?? process.stdout,
    ] as never,
  };
}

/** The level of a request's line: errors, refusals, then the rest. */
type AccessLevel = 'debug' | 'info' | 'warn' | 'error';

function accessLevel(res: ServerResponse): AccessLevel {
  // A database outage is logged once a second by ProblemFilter, not once per request.
  if ((res as unknown as Record<symbol, boolean>)[QUIET_ANSWER]) return 'debug';
  if (!res.writableFinished || res.statusCode >= 500) return 'error';
  return res.statusCode >= 400 ? 'warn' : 'info';
}

/**
 * One line per request when it ends ("request completed", or "request aborted" when the answer
 * was cut off), at the level of its status, and the request's id on every line logged while it
 * is served. Runs after the request id is set (requestIdMiddleware).
 */
export function requestLogging(logger: Pick<PinoLoggerInstance, 'isLevelEnabled' | AccessLevel>) {
  return (req: IncomingMessage & { id: string }, res: ServerResponse, next: () => void): void => {
    const started = performance.now();
    res.once('close', () => {
      const level = accessLevel(res);
      if (!logger.isLevelEnabled(level)) return;
      if (level !== 'error' && UNLOGGED_PATHS.has(String(req.url).split('?')[0])) return;
      const responseTime = Math.round(performance.now() - started);
      const message = res.writableFinished ? 'request completed' : 'request aborted';
      currentRequest.run(req, () => logger[level]({ req, res, responseTime }, message));
    });
    currentRequest.run(req, next);
  };
}
