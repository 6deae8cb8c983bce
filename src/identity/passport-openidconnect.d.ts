/**
 * Typings for the parts of `passport-openidconnect` 0.1.2 the identity module uses (the package
 * ships none). Only src/identity/oidc-library.adapter.ts imports it.
 */
declare module 'passport-openidconnect' {
  import type { Request } from 'express';

  export interface OidcContext {
    nonce?: string;
    maxAge?: number;
    issued?: Date;
  }

  /** Where the library keeps `state` between the redirect and the callback. */
  export interface StateStore {
    store(
      req: Request,
      ctx: OidcContext,
      appState: unknown,
      meta: unknown,
      cb: (err: unknown, handle?: string) => void,
    ): void;
    verify(
      req: Request,
      handle: unknown,
      cb: (err: unknown, ctx?: OidcContext | false, appState?: unknown) => void,
    ): void;
  }

  export interface StrategyOptions {
    issuer: string;
    authorizationURL: string;
    tokenURL: string;
    clientID: string;
    clientSecret: string;
    callbackURL: string;
    userInfoURL?: string;
    scope?: string | string[];
    acrValues?: string;
    nonce?: boolean;
    skipUserProfile?: boolean;
    passReqToCallback?: boolean;
    store?: StateStore;
  }

  export class Strategy {
    constructor(options: StrategyOptions, verify: (...args: unknown[]) => unknown);
    name: string;
    authenticate(req: Request, options?: object): void;
    authorizationParams(options: object): Record<string, string>;
    // Actions passport adds to its per-request copy of the strategy.
    success(user: unknown, info?: unknown): void;
    fail(challenge?: unknown, status?: number): void;
    redirect(url: string, status?: number): void;
    pass(): void;
    error(err: unknown): void;
  }
}
