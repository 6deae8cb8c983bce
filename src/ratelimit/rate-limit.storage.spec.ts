import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { connectRedis } from '../events/index.js';
import {
  MemoryRateLimitStorage,
  SharedRateLimitStorage,
  type RateLimitStorage,
  type SyncFailureLog,
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

/** Collects what a store logs about failed syncs. */
function failureLog(): SyncFailureLog & { lines: unknown[] } {
  const lines: unknown[] = [];
  return { lines, error: (line) => lines.push(line) };
}

describe('SharedRateLimitStorage without a Redis that answers', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let silentUrl: string;
  beforeAll(async () => {
    // Accepts connections and never answers: a hung Redis.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentUrl = `redis://127.0.0.1:${(silent.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  for (const [what, url] of [
    ['down', () => 'redis://127.0.0.1:1'],
    ['silent', () => silentUrl],
  ] as const) {
    it(`goes on limiting locally while Redis is ${what}, and logs once per 10 s`, async () => {
      const log = failureLog();
      const redis = connectRedis(url(), 'rate-limit', new Logger('test'), { failFast: true });
      const store = new SharedRateLimitStorage(redis, 'passerelle-test:', 60_000, log);
      try {
        const started = Date.now();
        const hits = [];
        for (let i = 0; i < 3; i++) {
          hits.push(await store.increment('down', 60_000, 2, 60_000, 't'));
          await store.sync();
        }
        expect(hits.map((h) => [h.totalHits, h.isBlocked])).toEqual([
          [1, false],
          [2, false],
          [3, true],
        ]);
        // Failing fast (no offline queue): neither the hits nor the syncs waited.
        expect(Date.now() - started).toBeLessThan(1000);
        expect(log.lines).toHaveLength(1);
      } finally {
        await store.close();
      }
    });
  }
});

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  console.log('SharedRateLimitStorage spec skipped: REDIS_URL is not set');
}
(redisUrl ? describe : describe.skip)('with Redis', () => {
  const prefix = `passerelle-test:${randomBytes(6).toString('hex')}:`;
  const stores: SharedRateLimitStorage[] = [];
  /** An instance: its own connection, syncing only when the test says (a long interval). */
  const instance = (syncEveryMs = 60_000) => {
    const store = new SharedRateLimitStorage(new Redis(redisUrl!), prefix, syncEveryMs, {
      error: (line) => {
        throw new Error(`unexpected sync failure: ${JSON.stringify(line)}`);
      },
    });
    stores.push(store);
    return store;
  };
  const key = () => `k-${randomBytes(4).toString('hex')}`;
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    const redis = new Redis(redisUrl!);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  // One instance alone, syncing often: it decides exactly as the memory store.
  contract('SharedRateLimitStorage, one instance', async () => instance(10));

  it("counts the other instance's hits once both have synced", async () => {
    const one = instance();
    const two = instance();
    const k = key();
    for (let i = 0; i < 3; i++) await one.increment(k, 60_000, 5, 60_000, 't');
    await one.sync();
    // Local first: two has not synced yet, it knows only its own hit.
    expect((await two.increment(k, 60_000, 5, 60_000, 't')).totalHits).toBe(1);
    await two.sync();
    expect(await two.increment(k, 60_000, 5, 60_000, 't')).toMatchObject({
      totalHits: 5,
      isBlocked: false,
    });
    const over = await two.increment(k, 60_000, 5, 60_000, 't');
    expect(over).toMatchObject({ totalHits: 6, isBlocked: true });
    // two shares its block; one, which counted 3, learns it at its next sync.
    await two.sync();
    await one.increment(k, 60_000, 5, 60_000, 't');
    await one.sync();
    expect((await one.increment(k, 60_000, 5, 60_000, 't')).isBlocked).toBe(true);
  });

  it('holds the shared limit within one sync interval of hits per instance', async () => {
    const limit = 30;
    const perInterval = 7;
    const instances = [instance(), instance(), instance()];
    const k = key();
    let admitted = 0;
    for (let round = 0; round < 5; round++) {
      for (const store of instances) {
        for (let i = 0; i < perInterval; i++) {
          if (!(await store.increment(k, 60_000, limit, 60_000, 't')).isBlocked) admitted++;
        }
      }
      await Promise.all(instances.map((s) => s.sync()));
    }
    // Each instance let through at most the hits it received in one interval beyond the limit,
    // and no hit under the limit was refused.
    expect(admitted).toBeGreaterThanOrEqual(limit);
    expect(admitted).toBeLessThanOrEqual(limit + instances.length * perInterval);
    // All three synced since: every one of them refuses now.
    for (const store of instances) {
      expect((await store.increment(k, 60_000, limit, 60_000, 't')).isBlocked).toBe(true);
    }
  });

  it('shares a block beyond the window it was decided in', async () => {
    const one = instance();
    const two = instance();
    const k = key();
    await one.increment(k, 100, 1, 5_000, 't');
    expect((await one.increment(k, 100, 1, 5_000, 't')).isBlocked).toBe(true);
    await one.sync();
    await sleep(150);
    // A fresh window for two, which never saw the key: one hit through, then the block.
    expect((await two.increment(k, 100, 1, 5_000, 't')).isBlocked).toBe(false);
    await two.sync();
    const refused = await two.increment(k, 100, 1, 5_000, 't');
    expect(refused.isBlocked).toBe(true);
    expect(refused.timeToBlockExpire).toBeGreaterThan(3);
  });

  it('syncs on its own every interval', async () => {
    const one = instance(20);
    const two = instance(20);
    const k = key();
    for (let i = 0; i < 4; i++) await one.increment(k, 60_000, 100, 60_000, 't');
    await two.increment(k, 60_000, 100, 60_000, 't');
    await sleep(120);
    expect((await two.increment(k, 60_000, 100, 60_000, 't')).totalHits).toBe(6);
  });

  it('flushes its hits on close, and never leaves a counter without expiry', async () => {
    const store = instance();
    const redis = new Redis(redisUrl!);
    const k = key();
    try {
      for (let i = 0; i < 3; i++) await store.increment(k, 60_000, 5, 60_000, 't');
      await store.close();
      expect(await redis.get(`${prefix}ratelimit:{${k}}`)).toBe('3');
      for (const key of await redis.keys(`${prefix}ratelimit:*`)) {
        expect(await redis.pttl(key)).toBeGreaterThan(0);
      }
    } finally {
      redis.disconnect();
    }
  });
});
