import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { decodeJwt } from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { AccessTokenService, bearerToken } from '../oauth/index.js';
import { RateLimitErrors } from './errors.js';
import { RATE_LIMIT_STORAGE, type RateLimitStorage } from './rate-limit.storage.js';

export interface RateLimitPolicy {
  /** Bucket namespace (and what logs call it). */
  name: 'client' | 'token' | 'token_address';
  limit: number;
  windowMs: number;
}

const TOKEN_PATH = '/oauth/token';
const MINUTE_MS = 60_000;

/** Operations endpoints: probes and scrapers must never be turned away. */
export function isOperationsPath(path: string): boolean {
  return path === '/metrics' || path.startsWith('/health/');
}

/**
 * The caller's address as a bucket name. IPv6 clients usually hold a whole /64: counting each
 * address apart would let one of them rotate addresses, so IPv6 is cut to its /64.
 */
export function addressBucket(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * RFC 6749 §2.3.1: the Basic user is form-urlencoded. Decoded here exactly as client
 * authentication decodes it, so that `%61bc` and `abc` share one bucket (each encoding of one id
 * used to get a fresh budget). Undecodable: kept raw (authentication refuses it anyway).
 */
function formDecoded(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/**
 * The client_id a token request claims (unverified: only a bucket name, combined with the IP):
 * HTTP Basic user (form-decoded), form `client_id`, or the client assertion's `sub` (RFC 7523).
 */
export function claimedClientId(req: Request): string {
  const header = req.headers.authorization;
  if (typeof header === 'string' && /^Basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return formDecoded(decoded.slice(0, colon)).slice(0, 200);
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body.client_id === 'string') return body.client_id.slice(0, 200);
  if (typeof body.client_assertion === 'string') {
    try {
      const sub = decodeJwt(body.client_assertion).sub;
      if (typeof sub === 'string') return sub.slice(0, 200);
    } catch {
      // Malformed assertion: the token endpoint refuses it; counted under no client.
    }
  }
  return '';
}

/**
 * Rate limits on every route (a global guard):
 *
 * - client API: RATE_LIMIT_PER_MINUTE per requesting service, keyed on the client_id of a
 *   *verified* bearer token (a forged token cannot spend another service's budget), else on
 *   the caller's address (citizen pages, operators, invalid tokens);
 * - `POST /oauth/token`: RATE_LIMIT_TOKEN_PER_MINUTE per address *and* claimed client_id,
 *   against credential stuffing, without one client locking out the others behind one NAT;
 *   and RATE_LIMIT_TOKEN_PER_ADDRESS_PER_MINUTE per address whatever the client_id, so that
 *   rotating unknown ids (each one costs a decoy scrypt) does not buy a fresh budget;
 * - `/health/*` and `/metrics` are never limited.
 *
 * Answers carry `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) and
 * `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers); a refusal is a 429 problem+json
 * `rate_limited` with `Retry-After` (on the token endpoint, RFC 6749's error shape).
 *
 * Counting never waits for Redis: each instance decides on its own counters and shares them
 * through Redis in the background (SharedRateLimitStorage: the bound on what several instances
 * let through, and what happens while Redis fails).
 *
 * Why not `@nestjs/throttler`'s guard: its 6.x build is CommonJS requiring ESM-only NestJS 12,
 * which jest's ESM runtime cannot load, so no test could start the app. The storage keeps its
 * `ThrottlerStorage` contract, so switching back is a small change once it ships ESM.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly client: RateLimitPolicy;
  private readonly token: RateLimitPolicy;
  private readonly tokenAddress: RateLimitPolicy;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage,
    private readonly accessTokens: AccessTokenService,
  ) {
    this.client = { name: 'client', limit: config.rateLimit.perMinute, windowMs: MINUTE_MS };
    this.token = { name: 'token', limit: config.rateLimit.tokenPerMinute, windowMs: MINUTE_MS };
    this.tokenAddress = {
      name: 'token_address',
      limit: config.rateLimit.tokenPerAddressPerMinute,
      windowMs: MINUTE_MS,
    };
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (isOperationsPath(req.path)) return true;
    const res = context.switchToHttp().getResponse<Response>();
    if (req.path === TOKEN_PATH) {
      // The per-address budget first: an address past it is refused whatever id it claims.
      await this.count(this.tokenAddress, `ip:${this.address(req)}`, res, false);
      await this.count(this.token, await this.trackerFor(this.token, req), res, true);
      return true;
    }
    await this.count(this.client, await this.trackerFor(this.client, req), res, true);
    return true;
  }

  /**
   * Counts one hit of `policy` for `tracker`; throws 429 when over the limit. `headers`: whether
   * this policy's figures go in the RateLimit-* headers.
   */
  private async count(
    policy: RateLimitPolicy,
    tracker: string,
    res: Response,
    headers: boolean,
  ): Promise<void> {
    // Hashed: bounded length, nothing from the request verbatim in a Redis key.
    const key = `${policy.name}:${createHash('sha256').update(tracker).digest('base64url').slice(0, 24)}`;
    // Never waits for Redis (the storage decides locally and syncs in the background), so
    // it does not fail when Redis does.
    const record = await this.storage.increment(
      key,
      policy.windowMs,
      policy.limit,
      policy.windowMs,
      policy.name,
    );
    if (headers || record.isBlocked) {
      res.setHeader('RateLimit-Limit', String(policy.limit));
      res.setHeader('RateLimit-Remaining', String(Math.max(0, policy.limit - record.totalHits)));
      res.setHeader('RateLimit-Reset', String(record.timeToExpire));
      res.setHeader('RateLimit-Policy', `${policy.limit};w=${policy.windowMs / 1000}`);
    }
    if (record.isBlocked) {
      const retryAfter = Math.max(1, record.timeToBlockExpire);
      res.setHeader('Retry-After', String(retryAfter));
      throw RateLimitErrors.rateLimited(retryAfter);
    }
  }

  private address(req: Request): string {
    return addressBucket(req.ip ?? req.socket.remoteAddress ?? 'unknown');
  }

  private async trackerFor(policy: RateLimitPolicy, req: Request): Promise<string> {
    const address = this.address(req);
    if (policy.name === 'token') return `ip:${address}|client:${claimedClientId(req)}`;
    const token = bearerToken(req.headers.authorization);
    if (token) {
      try {
        // Verified (signature, expiry, active client) once for this request: the bearer guard
        // then gets the same result (AccessTokenService.authenticateRequest).
        const client = await this.accessTokens.authenticateRequest(req, token);
        return `client:${client.clientId}`;
      } catch {
        // Not one of our valid access tokens (or an operator token): limited by address.
      }
    }
    return `ip:${address}`;
  }
}
