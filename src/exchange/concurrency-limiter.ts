/**
 * A per-provider cap on requests in flight, with a bounded FIFO queue. A call over the cap waits
 * at most `maxWaitMs` (and never longer than its own deadline) and is refused when the queue is
 * full: a slow provider then fails fast with its own 503 instead of piling up requests, sockets
 * and memory that every other provider's callers would pay for.
 */
export class LimiterRejected extends Error {
  constructor(readonly reason: 'queue_full' | 'wait_timeout') {
    super(`concurrency limiter: ${reason}`);
  }
}

interface Waiter {
  resolve: (release: () => void) => void;
  timer: NodeJS.Timeout;
}

export class ConcurrencyLimiter {
  private active = 0;
  /** Bounded by `maxQueue`, so the O(n) removals below stay cheap. */
  private readonly queue: Waiter[] = [];

  constructor(
    private limit: number,
    private readonly maxQueue: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** A raised limit lets queued calls in at once; a lowered one takes effect as calls end. */
  setLimit(limit: number): void {
    this.limit = limit;
    this.dispatch();
  }

  /** Resolves with a release function once a slot is free (call it exactly once). */
  acquire(maxWaitMs: number): Promise<() => void> {
    if (this.active < this.limit && this.waiting === 0) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting >= this.maxQueue) return Promise.reject(new LimiterRejected('queue_full'));
    if (maxWaitMs <= 0) return Promise.reject(new LimiterRejected('wait_timeout'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new LimiterRejected('wait_timeout'));
        }, maxWaitMs),
      };
      this.queue.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.dispatch();
    };
  }

  private dispatch(): void {
    while (this.active < this.limit && this.queue.length > 0) {
      const waiter = this.queue.shift()!;
      clearTimeout(waiter.timer);
      this.active++;
      waiter.resolve(this.releaser());
    }
  }
}
