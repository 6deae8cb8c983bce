/**
 * What this instance has seen of each provider: its circuit state and its recent error rate,
 * over the last minute and over the last calls (as API Particulier's status pings). In memory,
 * per instance: each gateway replica judges a provider by its own calls, as its breaker does.
 */
import { Injectable } from '@nestjs/common';

export type CircuitState = 'closed' | 'open' | 'half_open';

/** How a call ended, as far as the provider's health is concerned. */
export type CallOutcome =
  /** 200 with a conforming answer, or a 404 "citizen unknown": the provider works. */
  | 'ok'
  /** 5xx, timeout, connection error, malformed or non-conforming answer, refused credentials. */
  | 'error'
  /** Never reached the provider: circuit open, queue full. */
  | 'rejected';

export const LAST_CALLS = 100;
const MINUTE_BUCKETS = 60;

interface Bucket {
  second: number;
  calls: number;
  errors: number;
  rejected: number;
}

class ProviderRecord {
  state: CircuitState = 'closed';
  stateSince = Date.now();
  lastErrorAt: number | null = null;
  lastErrorCode: string | null = null;
  /** Ring of the last calls' outcomes: true = error. */
  private readonly ring: boolean[] = [];
  private ringNext = 0;
  private readonly buckets: Bucket[] = Array.from({ length: MINUTE_BUCKETS }, () => ({
    second: -1,
    calls: 0,
    errors: 0,
    rejected: 0,
  }));

  record(outcome: CallOutcome, code: string | null, now: number): void {
    const second = Math.floor(now / 1000);
    const bucket = this.buckets[second % MINUTE_BUCKETS];
    if (bucket.second !== second) {
      bucket.second = second;
      bucket.calls = bucket.errors = bucket.rejected = 0;
    }
    if (outcome === 'rejected') {
      bucket.rejected++;
      return;
    }
    bucket.calls++;
    const failed = outcome === 'error';
    if (failed) {
      bucket.errors++;
      this.lastErrorAt = now;
      this.lastErrorCode = code;
    }
    if (this.ring.length < LAST_CALLS) this.ring.push(failed);
    else this.ring[this.ringNext] = failed;
    this.ringNext = (this.ringNext + 1) % LAST_CALLS;
  }

  lastMinute(now: number) {
    const oldest = Math.floor(now / 1000) - MINUTE_BUCKETS + 1;
    let calls = 0;
    let errors = 0;
    let rejected = 0;
    for (const b of this.buckets) {
      if (b.second < oldest) continue;
      calls += b.calls;
      errors += b.errors;
      rejected += b.rejected;
    }
    return { calls, errors, rejected, errorRate: rate(errors, calls) };
  }

  lastCalls() {
    const errors = this.ring.reduce((n, failed) => n + (failed ? 1 : 0), 0);
    return { calls: this.ring.length, errors, errorRate: rate(errors, this.ring.length) };
  }
}

const rate = (errors: number, calls: number) =>
  calls === 0 ? 0 : Math.round((errors / calls) * 1000) / 1000;

export interface ProviderHealthSnapshot {
  id: string;
  state: CircuitState;
  stateSince: Date;
  lastMinute: { calls: number; errors: number; rejected: number; errorRate: number };
  lastCalls: { calls: number; errors: number; errorRate: number };
  lastErrorAt: Date | null;
  lastErrorCode: string | null;
}

@Injectable()
export class ProviderHealth {
  private readonly providers = new Map<string, ProviderRecord>();

  private of(providerId: string): ProviderRecord {
    let r = this.providers.get(providerId);
    if (!r) {
      r = new ProviderRecord();
      this.providers.set(providerId, r);
    }
    return r;
  }

  record(providerId: string, outcome: CallOutcome, code: string | null = null): void {
    this.of(providerId).record(outcome, code, Date.now());
  }

  setState(providerId: string, state: CircuitState): void {
    const r = this.of(providerId);
    if (r.state !== state) {
      r.state = state;
      r.stateSince = Date.now();
    }
  }

  state(providerId: string): CircuitState {
    return this.providers.get(providerId)?.state ?? 'closed';
  }

  /** Providers seen so far, plus `ids` (e.g. every registered provider) even if never called. */
  snapshot(ids: Iterable<string> = []): ProviderHealthSnapshot[] {
    const all = new Set<string>([...ids, ...this.providers.keys()]);
    const now = Date.now();
    return [...all].sort().map((id) => {
      const r = this.providers.get(id) ?? new ProviderRecord();
      return {
        id,
        state: r.state,
        stateSince: new Date(r.stateSince),
        lastMinute: r.lastMinute(now),
        lastCalls: r.lastCalls(),
        lastErrorAt: r.lastErrorAt === null ? null : new Date(r.lastErrorAt),
        lastErrorCode: r.lastErrorCode,
      };
    });
  }

  forget(providerId: string): void {
    this.providers.delete(providerId);
  }
}
