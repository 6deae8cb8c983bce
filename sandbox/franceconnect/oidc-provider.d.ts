/**
 * Minimal typings for the parts of `oidc-provider` 9 the FranceConnect sandbox uses (the package
 * ships no TypeScript declarations). Deliberately loose: only the sandbox imports it.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface AdapterPayload {
    [key: string]: unknown;
    grantId?: string;
    uid?: string;
    userCode?: string;
    consumed?: number;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface OidcClient {
    clientId: string;
    [key: string]: unknown;
  }

  export interface OidcSession {
    accountId?: string;
    authorizations?: Record<string, { grantId?: string; persistsLogout?: boolean }>;
    state?: { secret?: string; clientId?: string; postLogoutRedirectUri?: string; state?: string };
    destroy(): Promise<void>;
    [key: string]: unknown;
  }

  export interface OidcContext {
    route: string;
    params: Record<string, string | undefined>;
    client?: OidcClient;
    session?: OidcSession;
    provider: Provider;
    urlFor(name: string, opts?: Record<string, unknown>): string;
    cookies: { set(name: string, value: string | null, opts?: Record<string, unknown>): void };
  }

  /** The Koa context oidc-provider hands to its hooks and middlewares. */
  export interface KoaContextWithOIDC {
    oidc: OidcContext;
    method: string;
    path: string;
    status: number;
    type: string;
    body: unknown;
    cookies: { set(name: string, value: string | null, opts?: Record<string, unknown>): void };
    redirect(url: string): void;
    set(field: string, value: string): void;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, string | undefined> & { client_id: string };
    session?: { accountId: string; uid: string };
    grantId?: string;
    lastSubmission?: Record<string, unknown>;
  }

  export interface GrantInstance {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface GrantConstructor {
    new (props: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  }

  export interface TokenInstance {
    readonly accountId?: string;
    readonly clientId?: string;
    readonly scope?: string;
    readonly iat: number;
    readonly exp: number;
    readonly isExpired: boolean;
  }

  export interface TokenModel {
    revokeByGrantId(grantId: string): Promise<void>;
    /** The stored token by its value; undefined when unknown (or expired and dropped). */
    find(value: string): Promise<TokenInstance | undefined>;
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    readonly Grant: GrantConstructor;
    readonly Client: { find(id: string): Promise<OidcClient | undefined> };
    readonly AccessToken: TokenModel;
    readonly AuthorizationCode: TokenModel;
    readonly RefreshToken: TokenModel;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(fn: (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void> | void): this;
    on(event: string, listener: (...args: never[]) => void): this;
    cookieName(type: 'session' | 'interaction' | 'resume'): string;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
  }

  export class OIDCProviderError extends Error {
    constructor(status: number, message: string);
    error: string;
    error_description?: string;
    status: number;
  }

  export const errors: {
    OIDCProviderError: typeof OIDCProviderError;
    InvalidRequest: new (description?: string) => OIDCProviderError;
    InvalidClient: new (description?: string) => OIDCProviderError;
    AccessDenied: new (description?: string) => OIDCProviderError;
    SessionNotFound: new (description?: string) => OIDCProviderError;
    [name: string]: unknown;
  };

  export default Provider;
}
