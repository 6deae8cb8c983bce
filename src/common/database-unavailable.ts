/**
 * Telling "the database is not there" from every other failure, whatever layer reports it:
 * node-postgres (socket errors, SQLSTATE classes 08 connection exception and 57P admin
 * shutdown / cannot connect now), Prisma's driver adapter (its error wraps the driver's as
 * `cause`, or carries Prisma's P1001/P1017 codes), or a pool already ended.
 */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017']);
const MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'Cannot use a pool after calling end',
  'Client has encountered a connection error',
  'the database system is shutting down',
  'the database system is starting up',
  'terminating connection due to administrator command',
];

export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = err;
  for (let depth = 0; current && depth < 6 && !seen.has(current); depth++) {
    seen.add(current);
    const e = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      meta?: { code?: unknown; driverAdapterError?: unknown };
      originalCode?: unknown;
    };
    for (const code of [e.code, e.originalCode, e.meta?.code]) {
      if (typeof code !== 'string') continue;
      if (SOCKET_CODES.has(code) || PRISMA_CODES.has(code)) return true;
      if (/^08/.test(code) || /^57P0[123]$/.test(code)) return true;
    }
    if (typeof e.message === 'string' && MESSAGES.some((m) => (e.message as string).includes(m))) {
      return true;
    }
    current = e.cause ?? e.meta?.driverAdapterError;
  }
  return false;
}
