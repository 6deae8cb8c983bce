import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** An incoming id is kept only if it is short and harmless (no log or header injection). */
const VALID_CORRELATION_ID = /^[A-Za-z0-9._:-]{8,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    /** The gateway's own id of this request: unique, in logs, audit rows and `X-Request-Id`. */
    id: string;
    /** The client's `X-Request-Id`, when it sent a harmless one: echoed as `X-Correlation-Id`. */
    correlationId?: string;
  }
}

/**
 * Every request gets an id of the gateway's own (a UUID): audit rows are found by it, so it must
 * be unique, which an id chosen by the client is not (two clients, or one retrying, send the
 * same). The client's `X-Request-Id` is kept as a correlation id, answered as
 * `X-Correlation-Id` and recorded beside ours where an access is audited.
 */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.headers['x-request-id'];
  req.id = randomUUID();
  res.setHeader('X-Request-Id', req.id);
  if (typeof incoming === 'string' && VALID_CORRELATION_ID.test(incoming)) {
    req.correlationId = incoming;
    res.setHeader('X-Correlation-Id', incoming);
  }
  next();
}
