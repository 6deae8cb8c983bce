import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { LoginError } from './errors.js';
import { FRANCECONNECT_STRATEGY, type FranceConnectAuthOptions } from './franceconnect.strategy.js';
import { parseReturnTo } from './return-to.js';
import { citizenOf } from './citizen-session.guard.js';

/** Whatever the strategy or passport raised, as a LoginError (unknown errors are internal). */
function asLoginError(err: unknown): LoginError {
  if (err instanceof LoginError) return err;
  return new LoginError('login_internal_error', err instanceof Error ? err.message : String(err));
}

abstract class FranceConnectGuard extends AuthGuard(FRANCECONNECT_STRATEGY) {
  override handleRequest<TUser>(err: unknown, user: unknown, info: unknown): TUser {
    if (err) throw asLoginError(err);
    // A `fail` from the library's own (second-line) ID token checks.
    if (!user) {
      const message = (info as { message?: unknown } | undefined)?.message;
      throw new LoginError(
        'login_id_token_invalid',
        typeof message === 'string' ? message : 'refused',
      );
    }
    return user as TUser;
  }
}

/**
 * GET /auth/login: validates `returnTo`, then lets the strategy redirect to FranceConnect. An
 * already logged-in citizen goes straight on (the controller redirects).
 */
@Injectable()
export class FranceConnectLoginGuard extends FranceConnectGuard {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    if (parseReturnTo(req.query.returnTo) === null) {
      throw new LoginError('login_return_to_invalid', 'returnTo is not a local path');
    }
    const query = req.query as Record<string, unknown>;
    // passport-openidconnect treats any request carrying code or error as a callback.
    if (query.code !== undefined || query.error !== undefined) {
      throw new LoginError('login_callback_invalid', 'code or error on the login route');
    }
    if (citizenOf(req)) return true;
    return (await super.canActivate(context)) as boolean;
  }

  override getAuthenticateOptions(context: ExecutionContext): FranceConnectAuthOptions {
    const req = context.switchToHttp().getRequest<Request>();
    return {
      phase: 'login',
      returnTo: parseReturnTo(req.query.returnTo) as string,
      session: false,
    };
  }
}

/** GET /auth/callback: the strategy checks everything; the controller gets `req.user`. */
@Injectable()
export class FranceConnectCallbackGuard extends FranceConnectGuard {
  override getAuthenticateOptions(): FranceConnectAuthOptions {
    return { phase: 'callback', session: false };
  }
}
