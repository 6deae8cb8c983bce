/**
 * The live call to a data provider: one GET with the citizen's identity pivot as query
 * parameters, the gateway's credentials and its signed assertion, under the provider's own time
 * budget, retry policy, circuit breaker and concurrency cap. The answer is validated against the
 * dataset's schema and reduced to its declared fields before anyone sees it.
 *
 * Failure policy (DESIGN.md, "Providers are protected"):
 * - one total budget per fetch = provider.timeoutMs (queueing, token refresh and retries in it);
 * - retries only where a GET is safe to repeat and the cause is transient: connection refused or
 *   reset, 502/503/504; jittered exponential backoff, never past the budget;
 * - only 5xx, timeouts and connection errors count against the breaker; a 404 means the
 *   provider works;
 * - nothing the provider says reaches the client, except the short plain-text message of a
 *   404 ("citizen unknown"), which is meant for the citizen.
 *
 * Over 350 lines: transport, provider tokens, resilience and answer checks are still one
 * class here; issue 14 splits them along those jobs.
 */
import http from 'node:http';
import https from 'node:https';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  type AllowList,
  isOutboundRefusal,
  outboundRequestOptions,
  ApiError,
} from '../common/index.js';
import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import { ProviderBreakers, ProviderFailure } from './circuit-breakers.js';
import { ConcurrencyLimiter, LimiterRejected } from './concurrency-limiter.js';
import { DatasetSchemas, payloadDigest, type ReduceResult } from './dataset-schemas.service.js';
import { ExchangeErrors } from './errors.js';
import {
  IDENTITY_CLAIMS,
  type DatasetTarget,
  type FetchDatasetInput,
  type FetchDatasetResult,
  type IdentityPivot,
  type ProviderTarget,
} from './exchange.types.js';
import { ProviderHealth } from './provider-health.service.js';

export interface ProviderClientOptions {
  /** Breaker: rolling window, fewest calls, error rate (%) and open duration. */
  breakerWindowMs: number;
  breakerMinCalls: number;
  breakerErrorPercent: number;
  breakerResetMs: number;
  /** Longest wait for a free slot when a provider is at its concurrency cap. */
  queueWaitMs: number;
  /** Calls waiting per provider, as a multiple of its maxConcurrency. */
  queueFactor: number;
  /** Provider requests per fetch at most (the first one included). */
  maxAttempts: number;
  /** First backoff step; attempt n waits a random time in [0, base * 2^(n-1)]. */
  retryBaseMs: number;
  /** Largest provider answer read (bytes, after decompression). */
  maxResponseBytes: number;
  userAgent: string;
  /** Internal hosts that may be called (OUTBOUND_ALLOW_LIST); every other one is refused. */
  outboundAllowList: AllowList;
}

export const DEFAULT_PROVIDER_CLIENT_OPTIONS: ProviderClientOptions = {
  breakerWindowMs: 10_000,
  breakerMinCalls: 5,
  breakerErrorPercent: 50,
  breakerResetMs: 5_000,
  queueWaitMs: 1_000,
  queueFactor: 4,
  maxAttempts: 3,
  retryBaseMs: 50,
  maxResponseBytes: 1024 * 1024,
  userAgent: 'Passerelle/0.1',
  outboundAllowList: [],
};

/** Below this, a retry could not get an answer anyway: give up and report. */
const MIN_USEFUL_ATTEMPT_MS = 20;
/** Keep-alive sockets are dropped after this idle time: below Node's default server
 * keepAliveTimeout (5 s), so we rarely reuse a socket the provider is closing. */
const IDLE_SOCKET_MS = 4_000;
const RETRYABLE_STATUS = new Set([502, 503, 504]);
const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN']);
const DEFAULT_NOT_FOUND = 'Le fournisseur de données ne connaît pas cette personne.';
const MAX_MESSAGE_LENGTH = 200;
const QUIET_CODES = new Set([
  'citizen_unknown_to_provider',
  'provider_circuit_open',
  'provider_busy',
  'provider_disabled',
]);

interface Token {
  value: string;
  /** When we stop using it (shortly before the provider's expiry). */
  refreshAt: number;
}

/** Connections and credentials of one provider configuration (rebuilt when it changes). */
interface Pool {
  providerId: string;
  fingerprint: string;
  http: AxiosInstance;
  agents: { http: http.Agent; https: https.Agent };
  token: Token | null;
  tokenPending: Promise<Token> | null;
}

interface Attempt {
  deadline: number;
  attempts: number;
  /** Why the provider failed (status or transport error code), for the log line only. */
  reason?: string;
}

interface RawAnswer {
  body: string;
  contentType: string;
}

@Injectable()
export class ProviderClient implements OnModuleDestroy {
  private readonly logger = new Logger(ProviderClient.name);
  private readonly options: ProviderClientOptions;
  private readonly breakers: ProviderBreakers;
  private readonly pools = new Map<string, Pool>();
  private readonly limiters = new Map<string, ConcurrencyLimiter>();

  constructor(
    private readonly schemas: DatasetSchemas,
    private readonly health: ProviderHealth,
    options: Partial<ProviderClientOptions> = {},
  ) {
    this.options = { ...DEFAULT_PROVIDER_CLIENT_OPTIONS, ...options };
    this.breakers = new ProviderBreakers(
      {
        windowMs: this.options.breakerWindowMs,
        minCalls: this.options.breakerMinCalls,
        errorPercent: this.options.breakerErrorPercent,
        resetMs: this.options.breakerResetMs,
      },
      (providerId, state) => {
        this.health.setState(providerId, state);
        const log = state === 'open' ? 'warn' : 'log';
        this.logger[log]({ provider: providerId, circuit: state }, `provider circuit ${state}`);
      },
    );
  }

  /**
   * Fetches one dataset for one citizen. Resolves with the validated, reduced data and its
   * digest; rejects with an ApiError (codes in ./errors.ts) otherwise.
   */
  async fetchDataset(input: FetchDatasetInput): Promise<FetchDatasetResult> {
    const { provider, dataset } = input;
    const started = Date.now();
    const attempt: Attempt = { deadline: started + provider.timeoutMs, attempts: 0 };
    try {
      const result = await this.fetchWithin(input, attempt);
      this.health.record(provider.id, 'ok');
      return {
        status: 'ok',
        ...result,
        durationMs: Date.now() - started,
        attempts: attempt.attempts,
      };
    } catch (err) {
      const error = err instanceof ApiError ? err : this.unexpected(err, input);
      this.recordOutcome(provider.id, error.code);
      // Expected outcomes (citizen unknown, circuit open, busy) would flood the logs at warn.
      const level = QUIET_CODES.has(error.code) ? 'debug' : 'warn';
      this.logger[level](
        {
          provider: provider.id,
          dataset: dataset.id,
          requestId: input.requestId,
          code: error.code,
          attempts: attempt.attempts,
          durationMs: Date.now() - started,
          ...(attempt.reason ? { reason: attempt.reason } : {}),
        },
        'provider fetch failed',
      );
      throw error;
    }
  }

  /** Circuit state of a provider as this instance's breaker sees it. */
  circuitState(providerId: string) {
    return this.breakers.state(providerId);
  }

  onModuleDestroy(): void {
    this.breakers.shutdown();
    for (const pool of this.pools.values()) this.closePool(pool, 0);
    this.pools.clear();
  }

  // -------------------------------------------------------------------------------------------

  private async fetchWithin(
    input: FetchDatasetInput,
    attempt: Attempt,
  ): Promise<{ data: unknown; digest: string }> {
    const { provider, dataset } = input;
    if (provider.status !== 'active') throw ExchangeErrors.providerDisabled(provider.id);
    if (dataset.providerId !== provider.id) {
      throw new Error(`dataset ${dataset.id} does not belong to provider ${provider.id}`);
    }
    // Fail fast while open: do not even queue for a slot.
    if (this.breakers.isOpen(provider.id)) {
      throw ExchangeErrors.circuitOpen(provider.id, this.breakers.retryAfterSeconds(provider.id));
    }
    const pool = this.poolFor(provider);
    const release = await this.acquireSlot(provider, attempt);
    let raw: RawAnswer;
    try {
      raw = await this.breakers.fire(provider.id, () => this.callWithRetries(pool, input, attempt));
    } catch (err) {
      if ((err as { code?: string }).code === 'EOPENBREAKER') {
        throw ExchangeErrors.circuitOpen(provider.id, this.breakers.retryAfterSeconds(provider.id));
      }
      if (err instanceof ProviderFailure) {
        attempt.reason = err.reason;
        throw err.kind === 'timeout'
          ? ExchangeErrors.timeout(provider.id)
          : ExchangeErrors.error(provider.id);
      }
      throw err;
    } finally {
      release();
    }
    return this.readAnswer(provider, dataset, raw, input.requestId);
  }

  private async acquireSlot(provider: ProviderTarget, attempt: Attempt): Promise<() => void> {
    let limiter = this.limiters.get(provider.id);
    const limit = Math.max(1, provider.maxConcurrency);
    if (!limiter) {
      limiter = new ConcurrencyLimiter(limit, limit * this.options.queueFactor);
      this.limiters.set(provider.id, limiter);
    } else {
      limiter.setLimit(limit);
    }
    try {
      const remaining = attempt.deadline - Date.now();
      return await limiter.acquire(Math.min(this.options.queueWaitMs, remaining));
    } catch (err) {
      if (err instanceof LimiterRejected) throw ExchangeErrors.busy(provider.id);
      throw err;
    }
  }

  /** Inside the breaker: throws ProviderFailure for what counts against the provider. */
  private async callWithRetries(
    pool: Pool,
    input: FetchDatasetInput,
    attempt: Attempt,
  ): Promise<RawAnswer> {
    const { provider, dataset } = input;
    const url = datasetUrl(provider, dataset, input.identity);
    let tokenRefreshed = false;
    // Loop turns, token requests included (attempt.attempts counts data requests only).
    let tries = 0;
    for (;;) {
      tries++;
      try {
        const credentials = await this.credentials(pool, provider, attempt);
        const res = await this.request(pool, attempt, {
          method: 'GET',
          url,
          headers: {
            Accept: 'application/json',
            'User-Agent': this.options.userAgent,
            'X-Request-Id': input.requestId,
            ...(input.assertion ? { 'X-Passerelle-Assertion': input.assertion } : {}),
            ...credentials.headers,
          },
        });
        const status = res.status;
        if (status === 401 && credentials.token && !tokenRefreshed) {
          // An access token can be revoked or expire early on the provider's side: get a new
          // one, once, then judge.
          tokenRefreshed = true;
          if (pool.token === credentials.token) pool.token = null;
          continue;
        }
        if (RETRYABLE_STATUS.has(status)) {
          throw new ProviderFailure('error', `status ${status}`, true);
        }
        return this.classify(provider, res);
      } catch (err) {
        if (!(err instanceof ProviderFailure) || !err.retryable) throw err;
        const pause = this.backoff(tries);
        if (
          tries >= this.options.maxAttempts ||
          attempt.deadline - Date.now() - pause < MIN_USEFUL_ATTEMPT_MS
        ) {
          throw err;
        }
        this.logger.debug(
          { provider: provider.id, requestId: input.requestId, reason: err.reason, attempt: tries },
          'retrying provider call',
        );
        await sleep(pause);
      }
    }
  }

  /** Full jitter (AWS architecture blog): spreads retries of many callers over the window. */
  private backoff(attemptsSoFar: number): number {
    const cap = this.options.retryBaseMs * 2 ** Math.max(0, attemptsSoFar - 1);
    return Math.floor(Math.random() * cap);
  }

  /** Maps an answered request (not retried) to the raw 2xx body, or throws. */
  private classify(provider: ProviderTarget, res: AxiosResponse<string>): RawAnswer {
    const status = res.status;
    if (status >= 200 && status < 300) {
      return { body: res.data ?? '', contentType: String(res.headers['content-type'] ?? '') };
    }
    if (status === 404) throw ExchangeErrors.citizenUnknown(notFoundMessage(res.data));
    if (status === 401 || status === 403) throw ExchangeErrors.authFailed(provider.id);
    if (status === 429) throw ExchangeErrors.rateLimited(provider.id);
    if (status >= 500) throw new ProviderFailure('error', `status ${status}`, false);
    if (status >= 400) throw ExchangeErrors.rejectedRequest(provider.id);
    // 1xx/3xx: redirects are never followed (a provider must not send our identity elsewhere).
    throw ExchangeErrors.error(provider.id);
  }

  private readAnswer(
    provider: ProviderTarget,
    dataset: DatasetTarget,
    raw: RawAnswer,
    requestId: string,
  ): { data: unknown; digest: string } {
    if (raw.contentType && !/[/+]json\s*(;|$)/i.test(raw.contentType)) {
      throw ExchangeErrors.malformed(provider.id);
    }
    let reduced: ReduceResult;
    try {
      reduced = this.schemas.parseValidateAndReduce(dataset, raw.body);
    } catch (err) {
      if (err instanceof SyntaxError) throw ExchangeErrors.malformed(provider.id);
      throw err;
    }
    if (!reduced.ok) {
      this.logger.warn(
        { provider: provider.id, dataset: dataset.id, requestId, schemaErrors: reduced.errors },
        'provider answer does not match the dataset schema',
      );
      throw ExchangeErrors.schemaMismatch(provider.id, dataset.id);
    }
    return { data: reduced.data, digest: payloadDigest(reduced.data) };
  }

  // ------------------------------------------------------------------------------ credentials

  private async credentials(
    pool: Pool,
    provider: ProviderTarget,
    attempt: Attempt,
  ): Promise<{ headers: Record<string, string>; token?: Token }> {
    const secret = provider.secret;
    switch (provider.authKind) {
      case 'none':
        return { headers: {} };
      case 'api_key':
        if (!secret) throw ExchangeErrors.authFailed(provider.id);
        return { headers: { [provider.authConfig.headerName || 'X-Api-Key']: secret } };
      case 'bearer':
        if (!secret) throw ExchangeErrors.authFailed(provider.id);
        return { headers: { Authorization: `Bearer ${secret}` } };
      case 'oauth2_client_credentials': {
        const token = await this.accessToken(pool, provider, attempt);
        return { headers: { Authorization: `Bearer ${token.value}` }, token };
      }
      default:
        throw ExchangeErrors.authFailed(provider.id);
    }
  }

  /** The cached access token, or one new token request shared by every concurrent caller. */
  private async accessToken(
    pool: Pool,
    provider: ProviderTarget,
    attempt: Attempt,
  ): Promise<Token> {
    if (pool.token && pool.token.refreshAt > Date.now()) return pool.token;
    if (!pool.tokenPending) {
      // The shared request has its own budget, so that one caller's short remaining time does
      // not fail everybody waiting for the same token.
      const own: Attempt = { deadline: Date.now() + provider.timeoutMs, attempts: 0 };
      pool.tokenPending = this.requestToken(pool, provider, own)
        .then((token) => {
          pool.token = token;
          return token;
        })
        .finally(() => {
          pool.tokenPending = null;
        });
    }
    return withDeadline(pool.tokenPending, attempt.deadline);
  }

  private async requestToken(
    pool: Pool,
    provider: ProviderTarget,
    attempt: Attempt,
  ): Promise<Token> {
    const { tokenUrl, clientId, scope } = provider.authConfig;
    if (!tokenUrl || !clientId || !provider.secret) throw ExchangeErrors.authFailed(provider.id);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) form.set('scope', scope);
    // client_secret_basic, with RFC 6749 §2.3.1's form-encoding of id and secret.
    const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(provider.secret)}`).toString(
      'base64',
    );
    const res = await this.request(pool, attempt, {
      method: 'POST',
      url: tokenUrl,
      data: form.toString(),
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/x-www-form-urlencoded',
        'User-Agent': this.options.userAgent,
        Authorization: `Basic ${basic}`,
      },
    });
    if (res.status >= 500) throw new ProviderFailure('error', `token status ${res.status}`, false);
    if (res.status !== 200) throw ExchangeErrors.authFailed(provider.id);
    let body: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.data) as typeof body;
    } catch {
      throw ExchangeErrors.authFailed(provider.id);
    }
    if (
      typeof body?.access_token !== 'string' ||
      !/^[\x21-\x7e]{1,4096}$/.test(body.access_token) ||
      typeof body.token_type !== 'string' ||
      body.token_type.toLowerCase() !== 'bearer'
    ) {
      throw ExchangeErrors.authFailed(provider.id);
    }
    // RFC 6749 §5.1: expires_in is RECOMMENDED; without it, assume a short life.
    const ttl =
      typeof body.expires_in === 'number' && Number.isFinite(body.expires_in)
        ? Math.min(Math.max(body.expires_in, 1), 86_400)
        : 60;
    const margin = Math.min(30, ttl * 0.1);
    return { value: body.access_token, refreshAt: Date.now() + (ttl - margin) * 1000 };
  }

  // ---------------------------------------------------------------------------------- transport

  /** One HTTP exchange bounded by the attempt's deadline; transport errors become failures. */
  private async request(
    pool: Pool,
    attempt: Attempt,
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

  private poolFor(provider: ProviderTarget): Pool {
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
    const agentOptions = {
      keepAlive: true,
      maxSockets,
      maxFreeSockets: maxSockets,
      scheduling: 'lifo' as const,
      timeout: IDLE_SOCKET_MS,
    };
    const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
    const instance = axios.create({
      httpAgent: agents.http,
      httpsAgent: agents.https,
      // The gateway talks to registered providers directly; an environment proxy would be a
      // surprise route for personal data. Operators who need one put it in the base URL's network.
      proxy: false,
      maxRedirects: 0,
      maxContentLength: this.options.maxResponseBytes,
      maxBodyLength: 64 * 1024,
      validateStatus: () => true,
      responseType: 'text',
      // Raw text: we parse it ourselves, so a malformed body is an error and not a string.
      transformResponse: [(data: unknown) => data],
      decompress: true,
    });
    const pool: Pool = {
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
  private closePool(pool: Pool, afterMs: number): void {
    const close = () => {
      pool.agents.http.destroy();
      pool.agents.https.destroy();
    };
    if (afterMs <= 0) close();
    else setTimeout(close, afterMs).unref();
  }

  private recordOutcome(providerId: string, code: string): void {
    switch (code) {
      case 'citizen_unknown_to_provider':
        return this.health.record(providerId, 'ok');
      case 'provider_circuit_open':
      case 'provider_busy':
        return this.health.record(providerId, 'rejected', code);
      case 'provider_disabled':
        return;
      default:
        return this.health.record(providerId, 'error', code);
    }
  }

  private unexpected(err: unknown, input: FetchDatasetInput): ApiError {
    this.logger.error(
      {
        provider: input.provider.id,
        dataset: input.dataset.id,
        requestId: input.requestId,
        error: err instanceof Error ? err.message : String(err),
      },
      'unexpected error while calling a provider',
    );
    return ExchangeErrors.error(input.provider.id);
  }
}

// ---------------------------------------------------------------------------------- helpers

/** Base URL + path + the identity claims the dataset needs, under the provider's names. */
export function datasetUrl(
  provider: ProviderTarget,
  dataset: DatasetTarget,
  identity: IdentityPivot,
): string {
  const base = provider.baseUrl.replace(/\/+$/, '');
  const path = dataset.path.startsWith('/') ? dataset.path : `/${dataset.path}`;
  const query = new URLSearchParams();
  for (const claim of IDENTITY_CLAIMS) {
    const param = dataset.identityParams[claim];
    if (!param) continue;
    // FranceConnect gives an empty birthplace for people born abroad; send it as given.
    query.append(param, identity[claim] ?? '');
  }
  const qs = query.toString();
  if (!qs) return `${base}${path}`;
  return `${base}${path}${path.includes('?') ? '&' : '?'}${qs}`;
}

/**
 * The provider's "not found" text, made safe to show: its `errors[0].detail` (or `title`),
 * plain text only, one line, short. Anything else from its body is ignored.
 */
export function notFoundMessage(body: unknown): string {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return DEFAULT_NOT_FOUND;
    }
  }
  const first = (parsed as { errors?: unknown } | null)?.errors;
  const error = Array.isArray(first)
    ? (first[0] as { detail?: unknown; title?: unknown })
    : undefined;
  return sanitizeMessage(error?.detail) ?? sanitizeMessage(error?.title) ?? DEFAULT_NOT_FOUND;
}

export function sanitizeMessage(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  let text = value
    .slice(0, 2000)
    .replace(/<[^>]*>?/g, ' ')
    // Control characters (\p{Cc}) and bidirectional overrides (they can disguise text).
    .replace(/[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069]/gu, ' ')
    .replace(/[<>]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!text) return null;
  if (text.length > MAX_MESSAGE_LENGTH)
    text = `${text.slice(0, MAX_MESSAGE_LENGTH - 1).trimEnd()}…`;
  return text;
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

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
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

/** application/x-www-form-urlencoded encoding of one value (spaces as '+'). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
