/**
 * Counters behind the rate limits, with `@nestjs/throttler`'s `ThrottlerStorage` contract: in memory for
 * one instance, in Redis when instances must share them.
 *
 * Both implement the same fixed window: the first hit of a key opens a window of `ttl` ms,
 * every hit in it counts, and the hit that goes over `limit` blocks the key for
 * `blockDuration` ms. (Nest's own in-memory storage keeps one timestamp per hit and filters
 * the whole list on every request: O(limit) per request, which a high limit turns into the
 * gateway's main cost. A counter per window is O(1).)
 *
 * `@nest-lab/throttler-storage-redis` would be the ready-made Redis storage, but it does not
 * support NestJS 12; the one Lua script below is all it takes.
 */
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';

export interface RateLimitRecord {
  totalHits: number;
  /** Seconds until the window ends. */
  timeToExpire: number;
  isBlocked: boolean;
  /** Seconds until the block ends (0 when not blocked). */
  timeToBlockExpire: number;
}

/** Injection token of the storage the guard counts in. */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

/** `@nestjs/throttler`'s ThrottlerStorage contract, plus close(). */
export interface RateLimitStorage extends ThrottlerStorage {
  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<RateLimitRecord>;
  close(): Promise<void>;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

interface Window {
  hits: number;
  windowEnd: number;
  blockedUntil: number;
}

/** Keys kept at most; beyond, the expired ones are swept at once, then the oldest dropped. */
const MAX_KEYS = 100_000;

export class MemoryRateLimitStorage implements RateLimitStorage {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepEveryMs = 60_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName?: string,
  ): Promise<RateLimitRecord> {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.windowEnd <= now) {
      if (!w && this.windows.size >= MAX_KEYS) this.makeRoom(now);
      w = { hits: 0, windowEnd: now + ttl, blockedUntil: w?.blockedUntil ?? 0 };
      this.windows.set(key, w);
    }
    w.hits += 1;
    if (w.hits > limit && w.blockedUntil <= now) w.blockedUntil = now + blockDuration;
    const isBlocked = w.blockedUntil > now;
    return {
      totalHits: w.hits,
      timeToExpire: seconds(w.windowEnd - now),
      isBlocked,
      timeToBlockExpire: isBlocked ? seconds(w.blockedUntil - now) : 0,
    };
  }

  sweep(now = Date.now()): void {
    for (const [key, w] of this.windows) {
      if (w.windowEnd <= now && w.blockedUntil <= now) this.windows.delete(key);
    }
  }

  private makeRoom(now: number): void {
    this.sweep(now);
    // Still full (a flood of distinct keys): forget the oldest tenth rather than grow.
    if (this.windows.size >= MAX_KEYS) {
      let drop = Math.ceil(MAX_KEYS / 10);
      for (const key of this.windows.keys()) {
        this.windows.delete(key);
        if (--drop === 0) break;
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.windows.clear();
  }
}

/**
 * KEYS[1] the window's counter, KEYS[2] the block marker; ARGV ttl ms, limit, block ms.
 * Atomic (a script runs alone): two instances counting the same key never lose a hit, and the
 * counter cannot be left without expiry. Both keys share a hash tag, so a Redis Cluster keeps
 * them on one slot. Returns {hits, window ms left, block ms left (<= 0: not blocked)}.
 */
const INCREMENT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
local blocked = redis.call('PTTL', KEYS[2])
if blocked <= 0 and hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  blocked = tonumber(ARGV[3])
end
return {hits, ttl, blocked}
`;

type IncrementReply = [number, number, number];

interface RedisWithIncrement extends Redis {
  rateLimitIncrement(
    window: string,
    block: string,
    ttl: number,
    limit: number,
    blockMs: number,
  ): Promise<IncrementReply>;
}

export class RedisRateLimitStorage implements RateLimitStorage {
  private readonly redis: RedisWithIncrement;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    // defineCommand: EVALSHA, falling back to EVAL once if Redis does not know the script yet.
    redis.defineCommand('rateLimitIncrement', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    this.redis = redis as RedisWithIncrement;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName?: string,
  ): Promise<RateLimitRecord> {
    const base = `${this.prefix}ratelimit:{${key}}`;
    const [hits, ttlLeft, blockLeft] = await this.redis.rateLimitIncrement(
      base,
      `${base}:blocked`,
      ttl,
      limit,
      blockDuration,
    );
    const isBlocked = blockLeft > 0;
    return {
      totalHits: hits,
      timeToExpire: seconds(ttlLeft),
      isBlocked,
      timeToBlockExpire: isBlocked ? seconds(blockLeft) : 0,
    };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
