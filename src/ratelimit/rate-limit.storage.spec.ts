import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  MemoryRateLimitStorage,
  RedisRateLimitStorage,
  type RateLimitStorage,
} from './rate-limit.storage.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The same contract for both stores: a fixed window, then a block, then a fresh window. */
function contract(name: string, make: () => Promise<RateLimitStorage>) {
  describe(name, () => {
    let store: RateLimitStorage;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(() => store.close());

    it('counts hits within a window and blocks past the limit', async () => {
      const key = `k-${randomBytes(4).toString('hex')}`;
      const hits = [];
      for (let i = 0; i < 4; i++) hits.push(await store.increment(key, 60_000, 3, 60_000, 't'));
      expect(hits.map((h) => h.totalHits)).toEqual([1, 2, 3, 4]);
      expect(hits.map((h) => h.isBlocked)).toEqual([false, false, false, true]);
      expect(hits[3].timeToBlockExpire).toBeGreaterThan(0);
      expect(hits[3].timeToBlockExpire).toBeLessThanOrEqual(60);
      expect(hits[0].timeToExpire).toBeLessThanOrEqual(60);
      expect(hits[0].timeToBlockExpire).toBe(0);
    });

    it('keeps keys apart', async () => {
      const a = `a-${randomBytes(4).toString('hex')}`;
      const b = `b-${randomBytes(4).toString('hex')}`;
      await store.increment(a, 60_000, 1, 60_000, 't');
      expect((await store.increment(a, 60_000, 1, 60_000, 't')).isBlocked).toBe(true);
      expect((await store.increment(b, 60_000, 1, 60_000, 't')).isBlocked).toBe(false);
    });

    it('opens a fresh window once the previous one and its block are over', async () => {
      const key = `w-${randomBytes(4).toString('hex')}`;
      await store.increment(key, 150, 1, 150, 't');
      expect((await store.increment(key, 150, 1, 150, 't')).isBlocked).toBe(true);
      await sleep(250);
      const next = await store.increment(key, 150, 1, 150, 't');
      expect(next).toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('loses no hit under concurrency', async () => {
      const key = `c-${randomBytes(4).toString('hex')}`;
      const all = await Promise.all(
        Array.from({ length: 200 }, () => store.increment(key, 60_000, 150, 60_000, 't')),
      );
      const totals = all.map((r) => r.totalHits).sort((x, y) => x - y);
      expect(totals).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(all.filter((r) => r.isBlocked)).toHaveLength(50);
    });
  });
}

contract('MemoryRateLimitStorage', async () => new MemoryRateLimitStorage());

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  console.log('RedisRateLimitStorage spec skipped: REDIS_URL is not set');
}
(redisUrl ? describe : describe.skip)('with Redis', () => {
  const prefix = `passerelle-test:${randomBytes(6).toString('hex')}:`;
  afterAll(async () => {
    const redis = new Redis(redisUrl!);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  contract(
    'RedisRateLimitStorage',
    async () => new RedisRateLimitStorage(new Redis(redisUrl!), prefix),
  );

  it('shares counters between two connections (two instances)', async () => {
    const one = new RedisRateLimitStorage(new Redis(redisUrl!), prefix);
    const two = new RedisRateLimitStorage(new Redis(redisUrl!), prefix);
    try {
      await one.increment('shared', 60_000, 2, 60_000, 't');
      await two.increment('shared', 60_000, 2, 60_000, 't');
      expect((await one.increment('shared', 60_000, 2, 60_000, 't')).isBlocked).toBe(true);
      expect((await two.increment('shared', 60_000, 2, 60_000, 't')).totalHits).toBe(4);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('never leaves a counter without expiry', async () => {
    const store = new RedisRateLimitStorage(new Redis(redisUrl!), prefix);
    const redis = new Redis(redisUrl!);
    try {
      await store.increment('ttl', 60_000, 5, 60_000, 't');
      const keys = await redis.keys(`${prefix}ratelimit:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(await redis.pttl(key)).toBeGreaterThan(0);
    } finally {
      await store.close();
      redis.disconnect();
    }
  });
});
