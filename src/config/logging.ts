import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { IncomingMessage } from 'node:http';
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

export function loggerParams(config: AppConfig, destination?: DestinationStream): Params {
  return {
    pinoHttp: [
      {
        level: config.logLevel,
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id: string }).id,
        // Query strings can carry codes and states (OIDC callback): log the path only.
        serializers: {
          req: (req: {
            id: string;
            method: string;
            url: string;
            headers: Record<string, unknown>;
          }) => ({
            id: req.id,
            method: req.method,
            path: String(req.url).split('?')[0],
            headers: req.headers,
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
        customLogLevel: (_req: unknown, res: { statusCode: number }, err?: unknown) =>
          // A database outage is logged once a second by ProblemFilter, not once per request.
          (res as unknown as Record<symbol, boolean>)[QUIET_ANSWER]
            ? 'debug'
            : err || res.statusCode >= 500
              ? 'error'
              : res.statusCode >= 400
                ? 'warn'
                : 'info',
        autoLogging: {
          ignore: (req: IncomingMessage) => req.url === '/health/live' || req.url === '/metrics',
        },
      },
      destination ?? process.stdout,
    ] as never,
  };
}
