/**
 * The HTTP side of provider calls: one keep-alive axios instance per provider configuration
 * (a slow provider holds only its own sockets; a changed configuration gets a new pool once
 * the calls in flight on the old one are done), every exchange bounded by the fetch's time
 * budget and checked against the outbound allow-list at connection time (SSRF), transport
 * errors mapped to ProviderFailure (what the breaker counts and what may be retried).
 */
import type { Logger } from '@nestjs/common';
import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import {
  type AllowList,
  type DirectAgents,
  directAgents,
  directAxiosConfig,
  isOutboundRefusal,
  outboundRequestOptions,
} from '../common/index.js';
import { ProviderFailure } from './circuit-breakers.js';
import { ExchangeErrors } from './errors.js';
import type { ProviderTarget } from './exchange.types.js';
import type { ProviderToken } from './provider-tokens.js';

/** Keep-alive sockets are dropped after this idle time: below Node's default server
 * keepAliveTimeout (5 s), so we rarely reuse a socket the provider is closing. */
const IDLE_SOCKET_MS = 4_000;
const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN']);

/** Connections and credentials of one provider configuration (rebuilt when it changes). */
export interface ProviderPool {
  providerId: string;
  fingerprint: string;
  http: AxiosInstance;
  agents: DirectAgents;
  token: ProviderToken | null;
  tokenPending: Promise<ProviderToken> | null;
}

/** One fetch's budget and count of provider requests. */
export interface ProviderAttempt {
  deadline: number;
  attempts: number;
  /** Why the provider failed (status or transport error code), for the log line only. */
  reason?: string;
}

export interface ProviderTransportOptions {
  /** Largest provider answer read (bytes, after decompression). */
  maxResponseBytes: number;
  /** Internal hosts that may be called (OUTBOUND_ALLOW_LIST); every other one is refused. */
  outboundAllowList: AllowList;
}

export class ProviderTransport {
  private readonly pools = new Map<string, ProviderPool>();

  constructor(
    private readonly options: ProviderTransportOptions,
    private readonly logger: Logger,
  ) {}

  /** One HTTP exchange bounded by the attempt's deadline; transport errors become failures. */
  async request(
    pool: ProviderPool,
    attempt: ProviderAttempt,
    config: { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; data?: string },
  ): Promise<AxiosResponse<string>> {
    const remaining = attempt.deadline - Date.now();
    if (remaining <= 0) throw new ProviderFailure('timeout', 'budget spent', false);
    attempt.attempts++;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, remaining);
    try {
      // SSRF, at connection time: the URL as written, then every address DNS answers.
      const { lookup } = outboundRequestOptions(config.url, this.options.outboundAllowList);
      return await pool.http.request<string>({
        ...config,
        signal: controller.signal,
        lookup: lookup as never,
      });
    } catch (err) {
      if (isOutboundRefusal(err)) {
        this.logger.warn(
          { providerId: pool.providerId, err: (err as Error).message },
          'provider call refused: internal address',
        );
        throw ExchangeErrors.addressRefused(pool.providerId);
      }
      if (timedOut) throw new ProviderFailure('timeout', `no answer within the budget`, false);
      throw toFailure(err, pool.providerId);
    } finally {
      clearTimeout(timer);
    }
  }

  poolFor(provider: ProviderTarget): ProviderPool {
    const fingerprint = [
      provider.baseUrl,
      provider.maxConcurrency,
      provider.authKind,
      JSON.stringify(provider.authConfig ?? {}),
      provider.secret ?? '',
    ].join('\n');
    const current = this.pools.get(provider.id);
    if (current?.fingerprint === fingerprint) return current;
    if (current) this.closePool(current, provider.timeoutMs + 1000);

    // One keep-alive pool per provider: a slow provider holds only its own sockets.
    const maxSockets = Math.max(1, provider.maxConcurrency) + 1;
    // Keep-alive, and never through an environment proxy (directAgents).
    const agents = directAgents({
      maxSockets,
      maxFreeSockets: maxSockets,
      scheduling: 'lifo',
      timeout: IDLE_SOCKET_MS,
    });
    const instance = axios.create({
      ...directAxiosConfig(agents),
      maxRedirects: 0,
      maxContentLength: this.options.maxResponseBytes,
      maxBodyLength: 64 * 1024,
      validateStatus: () => true,
      responseType: 'text',
      // Raw text: we parse it ourselves, so a malformed body is an error and not a string.
      transformResponse: [(data: unknown) => data],
      decompress: true,
    });
    const pool: ProviderPool = {
      providerId: provider.id,
      fingerprint,
      http: instance,
      agents,
      token: null,
      tokenPending: null,
    };
    this.pools.set(provider.id, pool);
    return pool;
  }

  /** Calls in flight on a replaced configuration finish before its sockets are closed. */
  closePool(pool: ProviderPool, afterMs: number): void {
    if (afterMs <= 0) pool.agents.destroy();
    else setTimeout(pool.agents.destroy, afterMs).unref();
  }

  /** Closes every pool at once (module shutdown). */
  closeAll(): void {
    for (const pool of this.pools.values()) this.closePool(pool, 0);
    this.pools.clear();
  }
}

function toFailure(err: unknown, providerId: string): Error {
  if (err instanceof AxiosError) {
    const code = err.code ?? (err.cause as { code?: string } | undefined)?.code ?? '';
    // Not a breaker failure: the provider answered, too much.
    if (err.message?.startsWith('maxContentLength')) return ExchangeErrors.tooLarge(providerId);
    if (RETRYABLE_CODES.has(code) || /socket hang up/i.test(err.message)) {
      return new ProviderFailure('error', code || 'socket hang up', true);
    }
    return new ProviderFailure('error', code || 'transport error', false);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** `promise`, or a timeout failure at `deadline` (the promise itself goes on for others). */
export function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) return Promise.reject(new ProviderFailure('timeout', 'budget spent', false));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ProviderFailure('timeout', 'waiting for an access token', false)),
      remaining,
    );
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
