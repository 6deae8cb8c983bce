/**
 * One circuit breaker per provider, on opossum (nodeshift): its rolling-window statistics,
 * volume threshold, single half-open probe and error filter are exactly the state machine the
 * exchange needs, well tested and widely used. What we switch off or add around it:
 * - its own `timeout` (the fetch has one budget covering queueing, retries and token refresh);
 * - its `capacity` semaphore (it refuses at once; our ConcurrencyLimiter queues for a bounded
 *   time first);
 * - rolling percentiles and snapshots (they sort every latency of the window on each failure
 *   and every second: CPU for numbers nobody reads);
 * - bucket rotation: one shared timer drives every breaker's window through opossum's
 *   `rotateBucketController`, and a breaker that closes again has its window emptied, so the
 *   failures that opened it do not reopen it at the first error after recovery.
 */
import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { CircuitState } from './provider-health.service.js';

const BUCKETS = 10;

export interface BreakerOptions {
  /** Rolling window over which the error rate is computed. */
  windowMs: number;
  /** Fewest calls in the window before the breaker may open. */
  minCalls: number;
  /** Error rate (in %) at or above which the breaker opens. */
  errorPercent: number;
  /** How long the breaker stays open before letting one probe through. */
  resetMs: number;
}

/** A call that counts against the provider's health (5xx, timeout, connection error). */
export class ProviderFailure extends Error {
  constructor(
    readonly kind: 'timeout' | 'error',
    /** Short description for logs: status or error code, never a body. */
    readonly reason: string,
    readonly retryable: boolean,
  ) {
    super(`provider ${kind}: ${reason}`);
  }
}

type Action = () => Promise<unknown>;

interface Entry {
  breaker: CircuitBreaker<[Action], unknown>;
  rotation: EventEmitter;
  openedAt: number;
}

export class ProviderBreakers {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly options: BreakerOptions,
    private readonly onState: (providerId: string, state: CircuitState) => void,
  ) {
    this.timer = setInterval(
      () => {
        for (const e of this.entries.values()) e.rotation.emit('rotate');
      },
      Math.max(10, Math.floor(options.windowMs / BUCKETS)),
    );
    this.timer.unref();
  }

  private entry(providerId: string): Entry {
    const existing = this.entries.get(providerId);
    if (existing) return existing;
    const rotation = new EventEmitter();
    const breaker = new CircuitBreaker<[Action], unknown>((action: Action) => action(), {
      name: providerId,
      timeout: false,
      resetTimeout: this.options.resetMs,
      rollingCountTimeout: this.options.windowMs,
      rollingCountBuckets: BUCKETS,
      volumeThreshold: this.options.minCalls,
      // opossum opens when the rate is strictly above the threshold; we want "at or above".
      errorThresholdPercentage: this.options.errorPercent - 0.001,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      rotateBucketController: rotation,
      // Only ProviderFailure counts: a 404 (citizen unknown), a refused credential or a
      // malformed answer means the provider is up, and must not open its circuit.
      errorFilter: (err: unknown) => !(err instanceof ProviderFailure),
    });
    const created: Entry = { breaker, rotation, openedAt: 0 };
    breaker.on('open', () => {
      created.openedAt = Date.now();
      this.onState(providerId, 'open');
    });
    breaker.on('halfOpen', () => this.onState(providerId, 'half_open'));
    breaker.on('close', () => {
      for (let i = 0; i < BUCKETS; i++) rotation.emit('rotate');
      this.onState(providerId, 'closed');
    });
    this.entries.set(providerId, created);
    return created;
  }

  /** True while calls are refused without reaching the provider (open, probe not yet due). */
  isOpen(providerId: string): boolean {
    const e = this.entries.get(providerId);
    return !!e && e.breaker.opened;
  }

  /** Seconds until the breaker lets a probe through (at least 1). */
  retryAfterSeconds(providerId: string): number {
    const e = this.entries.get(providerId);
    if (!e) return 1;
    return Math.max(1, Math.ceil((e.openedAt + this.options.resetMs - Date.now()) / 1000));
  }

  /** Runs `action` through the provider's breaker; rejects with code EOPENBREAKER when open. */
  fire<T>(providerId: string, action: () => Promise<T>): Promise<T> {
    return this.entry(providerId).breaker.fire(action) as Promise<T>;
  }

  state(providerId: string): CircuitState {
    const b = this.entries.get(providerId)?.breaker;
    if (!b) return 'closed';
    return b.halfOpen ? 'half_open' : b.opened ? 'open' : 'closed';
  }

  shutdown(): void {
    clearInterval(this.timer);
    for (const e of this.entries.values()) e.breaker.shutdown();
    this.entries.clear();
  }
}
