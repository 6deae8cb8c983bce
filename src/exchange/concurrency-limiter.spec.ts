import { ConcurrencyLimiter, LimiterRejected } from './concurrency-limiter.js';

describe('ConcurrencyLimiter', () => {
  it('lets `limit` calls in, queues the next ones in order, refuses beyond the queue', async () => {
    const limiter = new ConcurrencyLimiter(2, 2);
    const r1 = await limiter.acquire(1000);
    const r2 = await limiter.acquire(1000);
    const order: number[] = [];
    const q3 = limiter.acquire(1000).then((r) => (order.push(3), r));
    const q4 = limiter.acquire(1000).then((r) => (order.push(4), r));
    await expect(limiter.acquire(1000)).rejects.toEqual(new LimiterRejected('queue_full'));
    expect([limiter.inFlight, limiter.waiting]).toEqual([2, 2]);
    r1();
    r1(); // a second release is ignored
    const r3 = await q3;
    expect([limiter.inFlight, limiter.waiting]).toEqual([2, 1]);
    r2();
    const r4 = await q4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(limiter.inFlight).toBe(0);
  });

  it('refuses a waiter after its bounded wait, and frees its queue place', async () => {
    const limiter = new ConcurrencyLimiter(1, 1);
    const r1 = await limiter.acquire(1000);
    await expect(limiter.acquire(10)).rejects.toEqual(new LimiterRejected('wait_timeout'));
    expect(limiter.waiting).toBe(0);
    await expect(limiter.acquire(0)).rejects.toEqual(new LimiterRejected('wait_timeout'));
    r1();
    (await limiter.acquire(10))();
  });

  it('lets queued calls in when the limit is raised', async () => {
    const limiter = new ConcurrencyLimiter(1, 5);
    await limiter.acquire(1000);
    const q = limiter.acquire(1000);
    limiter.setLimit(2);
    await q;
    expect(limiter.inFlight).toBe(2);
  });
});
