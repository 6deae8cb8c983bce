import { Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, PROBLEM_CONTENT_TYPE, toProblem } from '../common/index.js';
import { ActiveList } from './active-list.js';

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
@Injectable()
export class DrainService {
  private readonly logger = new Logger(DrainService.name);
  private draining = false;
  private readonly inFlight = new ActiveList<{ req: Request; res: Response }>();
  /** Rejects of the work waiting in untilDeadline, all called when the deadline comes. */
  private readonly waiting = new ActiveList<(err: ApiError) => void>();
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
    const node = this.inFlight.add({ req, res });
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
    for (const { res } of this.inFlight.values()) {
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
    this.giveUpNow();
    if (await this.waitIdle(GIVE_UP_GRACE_MS)) return cut;
    for (const { req, res } of this.inFlight.values()) {
      if (res.headersSent) continue;
      const { problem, headers } = toProblem(shuttingDown(), req.id ?? 'unknown');
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.status(503).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
    }
    return cut;
  }

  /** Rejects with 503 `shutting_down` once the drain timeout is reached, else follows `work`. */
  untilDeadline<T>(work: Promise<T>): Promise<T> {
    if (this.giveUp.signal.aborted) return Promise.reject(shuttingDown());
    return new Promise<T>((resolve, reject) => {
      const node = this.waiting.add(reject);
      work.then(
        (value) => {
          this.waiting.remove(node);
          resolve(value);
        },
        (err: unknown) => {
          this.waiting.remove(node);
          reject(err);
        },
      );
    });
  }

  /** The deadline: the signal aborts, then every work still waiting in untilDeadline fails. */
  private giveUpNow(): void {
    this.giveUp.abort();
    for (const reject of this.waiting.values()) reject(shuttingDown());
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
