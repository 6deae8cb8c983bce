import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { toProblem, PROBLEM_CONTENT_TYPE } from '../common/index.js';
import { connectRedis } from '../events/index.js';
import { IdentityErrors } from './errors.js';
import {
  type ClosableStore,
  FallbackSessionStore,
  PrismaSessionStore,
  RedisSessionStore,
  SessionCipher,
} from './session-store.js';
import { SessionRepository } from './session.repository.js';

export const SESSION_COOKIE_NAME = 'passerelle.sid';
/** Idle timeout: every answer pushes the expiry 30 minutes ahead (rolling session). */
export const SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
/**
 * The only paths that get a session: the citizen's pages and their JSON twin. The client API
 * stays cookie-free and never pays for a session lookup.
 */
export const CITIZEN_SESSION_PATHS = ['/auth', '/consent', '/me', '/api/v1/me'];

/**
 * express-session for the citizen-facing paths, on PostgreSQL or Redis. Mount with
 * `app.use(CITIZEN_SESSION_PATHS, app.get(CitizenSessionMiddleware).handle)`.
 */
@Injectable()
export class CitizenSessionMiddleware implements OnModuleDestroy {
  private readonly logger = new Logger(CitizenSessionMiddleware.name);
  readonly store: ClosableStore;
  readonly handle: RequestHandler;

  constructor(@Inject(APP_CONFIG) config: AppConfig, sessions: SessionRepository) {
    const cipher = new SessionCipher(config.masterKey);
    if (config.redisUrl) {
      // Fail fast while Redis is down, and carry on with PostgreSQL (FallbackSessionStore).
      const redis = connectRedis(config.redisUrl, 'sessions', this.logger, { failFast: true });
      this.store = new FallbackSessionStore(
        new RedisSessionStore(
          redis,
          cipher,
          SESSION_IDLE_TIMEOUT_MS,
          `${config.redisKeyPrefix}session:`,
        ),
        new PrismaSessionStore(sessions, cipher, SESSION_IDLE_TIMEOUT_MS),
      );
    } else {
      this.store = new PrismaSessionStore(sessions, cipher, SESSION_IDLE_TIMEOUT_MS);
    }
    const middleware = session({
      name: SESSION_COOKIE_NAME,
      secret: config.sessionSecret,
      store: this.store,
      resave: false,
      // No cookie, no row, until something is stored (a login started, a CSRF token issued).
      saveUninitialized: false,
      rolling: true,
      unset: 'destroy',
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        // Demo mode runs on plain http://localhost; anything public is https.
        secure: config.publicUrl.startsWith('https:'),
        maxAge: SESSION_IDLE_TIMEOUT_MS,
        path: '/',
      },
    });
    // A store failure would reach Express's default handler (HTML with a stack outside
    // production): answer a clean 503 problem instead.
    this.handle = (req: Request, res: Response, next: NextFunction) => {
      middleware(req, res, (err?: unknown) => {
        if (!err) {
          next();
          return;
        }
        this.logger.error({ err, requestId: req.id }, 'session store failure');
        if (res.headersSent) {
          res.end();
          return;
        }
        const { problem, headers } = toProblem(IdentityErrors.sessionUnavailable(), req.id);
        res
          .status(problem.status)
          .set(headers)
          .type(PROBLEM_CONTENT_TYPE)
          .send(JSON.stringify(problem));
      });
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.store.close();
  }
}
