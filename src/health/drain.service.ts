import { Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, PROBLEM_CONTENT_TYPE, toProblem } from '../common/index.js';

/** After the drain timeout, how long the requests told to give up get to answer by themselves. */
const GIVE_UP_GRACE_MS = 2000;

/** 503 `shutting_down`: this instance stops; another one (or this one restarted) will answer. */
export function shuttingDown(): ApiError {
  return new ApiError(
    503,
    'shutting_down',
    'Shutting down',
    'This instance is stopping and could not finish the request in time; retry it.',
    {},
    { 'Retry-After': '1', Connection: 'close' },
  );
}

/**
 * The graceful stop's bookkeeping (SIGTERM/SIGINT, src/server.ts): which requests are in
 * flight, whether the instance is draining, and when the work still running must give up.
 *
 * Order of a stop: `begin()` (readiness answers 503, every answer from now on carries
 * `Connection: close` so kept-alive clients reconnect elsewhere), the listener closes, the
 * requests in flight finish normally (provider call, audit, answer), and only then are the
 * database pools, Redis and the bus closed. At the drain timeout, `deadline` aborts: a fetch
 * still waiting for its provider gives its budget back and answers 503 `shutting_down`; what
 * still has not answered after a short grace gets that answer from here.
 */
/** A request in flight: a node of DrainService's list (req and res null once it is removed). */
interface InFlight {
  req: Request | null;
  res: Response | null;
  prev: InFlight | null;
  next: InFlight | null;
}

/**
 * The requests in flight, as a list whose nodes are unlinked, and let go of their request, when
 * it ends. Not a Set: the entries a long-lived Set has dropped stay reachable for V8's young
 * collections until the next full one, so with one entry added and dropped per request, every
 * request's objects were copied at one young collection and moved to the old generation at the
 * next (README, Performance: issue 14, fifth session).
 */
class InFlightList {
  private head: InFlight | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(req: Request, res: Response): InFlight {
    const node: InFlight = { req, res, prev: null, next: this.head };
    if (this.head) this.head.prev = node;
    this.head = node;
    this.count++;
    return node;
  }

  /** False when `node` was already removed (a request ends with 'finish', then 'close'). */
  remove(node: InFlight): boolean {
    if (!node.req) return false;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    node.prev = node.next = node.req = node.res = null;
    this.count--;
    return true;
  }

  /** A copy: the callers answer requests, which removes them, while they go through it. */
  snapshot(): Array<{ req: Request; res: Response }> {
    const all: Array<{ req: Request; res: Response }> = [];
    for (let node = this.head; node; node = node.next) all.push({ req: node.req!, res: node.res! });
    return all;
  }
}

@Injectable()
export class DrainService {
  private readonly logger = new Logger(DrainService.name);
  private draining = false;
  private readonly inFlight = new InFlightList();
  private readonly giveUp = new AbortController();
  private idle: Array<() => void> = [];

  get isDraining(): boolean {
    return this.draining;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Aborted at the drain timeout: long work (a provider call) stops waiting and answers 503. */
  get deadline(): AbortSignal {
    return this.giveUp.signal;
  }

  /** First middleware of the app: counts the request until its answer is sent or the socket dies. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const node = this.inFlight.add(req, res);
    if (this.draining) res.setHeader('Connection', 'close');
    const done = () => {
      if (this.inFlight.remove(node) && this.inFlight.size === 0) this.wakeIdle();
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };

  /** Readiness turns to 503 and every answer still to be written closes its connection. */
  begin(): void {
    if (this.draining) return;
    this.draining = true;
    for (const { res } of this.inFlight.snapshot()) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
  }

  /**
   * Waits for the requests in flight, at most `timeoutMs`; then tells the remaining ones to give
   * up (deadline) and, after a short grace, answers those that still have not.
   * Resolves with how many had to be cut short.
   */
  async drain(timeoutMs: number): Promise<number> {
    this.begin();
    if (await this.waitIdle(timeoutMs)) return 0;
    const cut = this.inFlight.size;
    this.logger.warn({ inFlight: cut, timeoutMs }, 'drain timeout: cutting requests short');
    this.giveUp.abort();
    if (await this.waitIdle(GIVE_UP_GRACE_MS)) return cut;
    for (const { req, res } of this.inFlight.snapshot()) {
      if (res.headersSent) continue;
      const { problem, headers } = toProblem(shuttingDown(), req.id ?? 'unknown');
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.status(503).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
    }
    return cut;
  }

  /** Rejects with 503 `shutting_down` once the drain timeout is reached, else follows `work`. */
  untilDeadline<T>(work: Promise<T>): Promise<T> {
    const signal = this.giveUp.signal;
    if (signal.aborted) return Promise.reject(shuttingDown());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(shuttingDown());
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idle = this.idle.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idle.push(wake);
    });
  }

  private wakeIdle(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const wake of waiting) wake();
  }
}
