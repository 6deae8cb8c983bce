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
 * This class is the resilience around one call (budget, concurrency cap, breaker, retries,
 * health); the connections are ProviderTransport's (provider-transport.ts), the credentials
 * provider-tokens.ts's, the judging of the answer provider-answers.ts's.
 */
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { type AllowList, ApiError } from '../common/index.js';
import { ProviderBreakers, ProviderFailure } from './circuit-breakers.js';
import { ConcurrencyLimiter, LimiterRejected } from './concurrency-limiter.js';
import { DatasetSchemas } from './dataset-schemas.service.js';
import { ExchangeErrors } from './errors.js';
import type { FetchDatasetInput, FetchDatasetResult, ProviderTarget } from './exchange.types.js';
import { classifyAnswer, datasetUrl, readAnswer, type RawAnswer } from './provider-answers.js';
import { ProviderHealth } from './provider-health.service.js';
import { providerCredentials } from './provider-tokens.js';
import {
  type ProviderAttempt as Attempt,
  type ProviderPool as Pool,
  ProviderTransport,
} from './provider-transport.js';

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
const RETRYABLE_STATUS = new Set([502, 503, 504]);
const QUIET_CODES = new Set([
  'citizen_unknown_to_provider',
  'provider_circuit_open',
  'provider_busy',
  'provider_disabled',
]);

@Injectable()
export class ProviderClient implements OnModuleDestroy {
  private readonly logger = new Logger(ProviderClient.name);
  private readonly options: ProviderClientOptions;
  private readonly breakers: ProviderBreakers;
  private readonly transport: ProviderTransport;
  private readonly limiters = new Map<string, ConcurrencyLimiter>();

  constructor(
    private readonly schemas: DatasetSchemas,
    private readonly health: ProviderHealth,
    options: Partial<ProviderClientOptions> = {},
  ) {
    this.options = { ...DEFAULT_PROVIDER_CLIENT_OPTIONS, ...options };
    this.transport = new ProviderTransport(this.options, this.logger);
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
   * Fetches one dataset for one citizen. Resolves with the validated, reduced data; rejects with an ApiError (codes in ./errors.ts) otherwise.
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
    this.transport.closeAll();
  }

  // -------------------------------------------------------------------------------------------

  private async fetchWithin(
    input: FetchDatasetInput,
    attempt: Attempt,
  ): Promise<{ data: unknown }> {
    const { provider, dataset } = input;
    if (provider.status !== 'active') throw ExchangeErrors.providerDisabled(provider.id);
    if (dataset.providerId !== provider.id) {
      throw new Error(`dataset ${dataset.id} does not belong to provider ${provider.id}`);
    }
    // Fail fast while open: do not even queue for a slot.
    if (this.breakers.isOpen(provider.id)) {
      throw ExchangeErrors.circuitOpen(provider.id, this.breakers.retryAfterSeconds(provider.id));
    }
    const pool = this.transport.poolFor(provider);
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
    return readAnswer(this.schemas, this.logger, provider, dataset, raw, input.requestId);
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
        const credentials = await providerCredentials(
          this.transport,
          pool,
          provider,
          attempt,
          this.options.userAgent,
        );
        const res = await this.transport.request(pool, attempt, {
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
        return classifyAnswer(provider, res);
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
