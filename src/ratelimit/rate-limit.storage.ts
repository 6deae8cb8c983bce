/**
 * Counters behind the rate limits, with `@nestjs/throttler`'s `ThrottlerStorage` contract: in memory for
 * one instance, shared through Redis when instances must share them.
 *
 * Both implement the same fixed window: the first hit of a key opens a window of `ttl` ms,
 * every hit in it counts, and the hit that goes over `limit` blocks the key for
 * `blockDuration` ms. (Nest's own in-memory storage keeps one timestamp per hit and filters
 * the whole list on every request: O(limit) per request, which a high limit turns into the
 * gateway's main cost. A counter per window is O(1).)
 *
 * Shared (REDIS_URL), local first: an instance counts and decides in memory, without waiting for
 * Redis on the request's path. Every RATE_LIMIT_SYNC_MS (100 ms by default) it adds the hits it
 * counted since its last sync to the key's window counter in Redis (one script call per key, all
 * keys of one sync in one pipeline), and learns from the reply how many hits the other instances
 * counted, so that its next decisions count everyone's. A key it blocks is blocked here at once,
 * and in Redis at its next sync; the others learn of the block at their next sync of that key.
 * Why: a Redis round trip per request (the script used to run on every hit) cost ~5 % of the
 * gateway's CPU, plus Redis's own on the same cores and a socket write and wake-up per request.
 *
 * The bound: once a key's hits, all instances together, pass its limit, each instance lets
 * through at most the hits of that key it receives until the reply to its next sync, that is
 * during one sync interval (plus a round trip to Redis). Alone on its Redis, an instance decides
 * exactly as MemoryRateLimitStorage.
 *
 * Redis down or slow: decisions go on with what the instance knows (its own hits, the others'
 * as of its last sync), where a store failure used to stop the limiting altogether; the hits
 * not synced are sent again at the next sync. A sync that timed out may still have been applied:
 * its hits are then counted twice, which errs on the side of limiting.
 *
 * `@nest-lab/throttler-storage-redis` would be the ready-made Redis storage, but it does not
 * support NestJS 12, and it waits for Redis on every hit.
 */
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ChainableCommander, Redis } from 'ioredis';

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

/** Where the shared store reports a failed sync (Nest's Logger fits). */
export interface SyncFailureLog {
  error(message: unknown, context?: string): void;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

interface Window {
  /** Hits counted by this instance in the window. */
  hits: number;
  /** Hits the other instances counted in the window, as of the last sync (always 0 in memory). */
  others: number;
  /** Of `hits`, those already sent to Redis (shared store). */
  sent: number;
  windowEnd: number;
  blockedUntil: number;
  /** Until when Redis holds this key's block (shared store): a later local block is to share. */
  blockSharedUntil: number;
}

/** Keys kept at most; beyond, the expired ones are swept at once, then the oldest dropped. */
const MAX_KEYS = 100_000;

export class MemoryRateLimitStorage implements RateLimitStorage {
  protected readonly windows = new Map<string, Window>();
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
    return this.record(this.count(key, ttl, limit, blockDuration, now), now);
  }

  /** Counts one hit of `key`; the hit that goes over `limit` (everyone's hits) blocks the key. */
  protected count(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    now: number,
  ): Window {
    let w = this.windows.get(key);
    if (!w || w.windowEnd <= now) {
      if (!w && this.windows.size >= MAX_KEYS) this.makeRoom(now);
      w = {
        hits: 0,
        others: 0,
        sent: 0,
        windowEnd: now + ttl,
        // A block outlives the window it was decided in.
        blockedUntil: w?.blockedUntil ?? 0,
        blockSharedUntil: w?.blockSharedUntil ?? 0,
      };
      this.windows.set(key, w);
    }
    w.hits += 1;
    if (w.hits + w.others > limit && w.blockedUntil <= now) w.blockedUntil = now + blockDuration;
    return w;
  }

  protected record(w: Window, now: number): RateLimitRecord {
    const isBlocked = w.blockedUntil > now;
    return {
      totalHits: w.hits + w.others,
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
 * KEYS[1] the window's counter, KEYS[2] the block marker; ARGV the hits to add, the window's
 * ms left (the expiry of a counter this call creates), the ms left of a block to share (0: none).
 * Atomic (a script runs alone): two instances adding to one key never lose a hit, and the
 * counter cannot be left without expiry. A shared block only ever lengthens the one Redis holds.
 * Both keys share a hash tag, so a Redis Cluster keeps them on one slot. Returns {everyone's hits
 * in the window, window ms left, block ms left (<= 0: not blocked)}.
 */
const SYNC_SCRIPT = `
local hits = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
local blocked = redis.call('PTTL', KEYS[2])
local share = tonumber(ARGV[3])
if share > 0 and share > blocked then
  redis.call('SET', KEYS[2], '1', 'PX', share)
  blocked = share
end
return {hits, ttl, blocked}
`;

type SyncReply = [hits: number, windowLeft: number, blockLeft: number];

interface SyncPipeline extends ChainableCommander {
  rateLimitSync(
    window: string,
    block: string,
    hits: number,
    windowMs: number,
    blockMs: number,
  ): SyncPipeline;
}

/** What one sync sent for one key. */
interface Sent {
  key: string;
  w: Window;
  hits: number;
}

export class SharedRateLimitStorage extends MemoryRateLimitStorage {
  /** Keys counted since their last sync. */
  private readonly dirty = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  /** The sync under way: one at a time, a tick during it is skipped. */
  private syncing: Promise<void> | null = null;
  private lastFailureLogged = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    syncEveryMs: number,
    private readonly log: SyncFailureLog,
  ) {
    super();
    // defineCommand: EVALSHA, falling back to EVAL once if Redis does not know the script yet.
    redis.defineCommand('rateLimitSync', { numberOfKeys: 2, lua: SYNC_SCRIPT });
    this.timer = setInterval(() => void this.sync(), syncEveryMs);
    this.timer.unref();
  }

  override async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName?: string,
  ): Promise<RateLimitRecord> {
    const now = Date.now();
    const w = this.count(key, ttl, limit, blockDuration, now);
    this.dirty.add(key);
    return this.record(w, now);
  }

  /** Sends the hits and blocks counted since the last sync; joins the sync under way if any. */
  sync(): Promise<void> {
    this.syncing ??= this.exchange().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async exchange(): Promise<void> {
    if (this.dirty.size === 0) return;
    const now = Date.now();
    const pipeline = this.redis.pipeline() as SyncPipeline;
    const sent: Sent[] = [];
    for (const key of this.dirty) {
      const w = this.windows.get(key);
      // Dropped (memory bound) or over: its hits belong to a window that has ended.
      if (!w || w.windowEnd <= now) continue;
      const hits = w.hits - w.sent;
      w.sent = w.hits;
      const block = w.blockedUntil > w.blockSharedUntil ? w.blockedUntil - now : 0;
      const base = `${this.prefix}ratelimit:{${key}}`;
      pipeline.rateLimitSync(base, `${base}:blocked`, hits, w.windowEnd - now, block);
      sent.push({ key, w, hits });
    }
    this.dirty.clear();
    if (sent.length === 0) return;
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipeline.exec();
    } catch (err) {
      replies = null;
      this.failed(err as Error);
    }
    const at = Date.now();
    sent.forEach((s, i) => {
      const [err, reply] = replies?.[i] ?? [null, null];
      if (err || !reply) {
        if (err) this.failed(err);
        this.retry(s);
      } else {
        this.learn(s, reply as SyncReply, at);
      }
    });
  }

  /** Everyone's hits and the shared block, from Redis's reply about one key. */
  private learn({ key, w }: Sent, [hits, windowLeft, blockLeft]: SyncReply, at: number): void {
    const current = this.windows.get(key);
    if (!current) return;
    if (current === w) {
      // `w.sent` is as the request left (one sync at a time): all of it is in `hits`. Less than
      // that (Redis's window ended before ours): the others counted nothing in the new one.
      w.others = Math.max(0, hits - w.sent);
      w.windowEnd = at + windowLeft; // Redis's window is everyone's
    }
    if (blockLeft > 0) {
      const until = at + blockLeft;
      current.blockedUntil = Math.max(current.blockedUntil, until);
      current.blockSharedUntil = Math.max(current.blockSharedUntil, until);
    }
  }

  /** Not in Redis (failed, or no answer): sent again at the next sync if the window lasts. */
  private retry({ key, w, hits }: Sent): void {
    if (this.windows.get(key) !== w) return;
    w.sent -= hits;
    this.dirty.add(key);
  }

  private failed(err: Error): void {
    // At most one line per 10 s while Redis fails.
    const now = Date.now();
    if (now - this.lastFailureLogged <= 10_000) return;
    this.lastFailureLogged = now;
    this.log.error({ err: err.message }, 'rate limit sync with Redis failed; counting locally');
  }

  /** Sends the hits not synced yet (once), then stops. */
  override async close(): Promise<void> {
    clearInterval(this.timer);
    await this.syncing;
    await this.sync();
    await super.close();
    this.redis.disconnect();
  }
}
