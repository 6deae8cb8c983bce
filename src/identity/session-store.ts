/**
 * Server-side stores for citizen sessions: PostgreSQL (the `session` table) by default, Redis
 * when REDIS_URL is set (shared by every instance, expiry done by Redis itself), with
 * PostgreSQL as its fallback while Redis fails (FallbackSessionStore).
 *
 * Both keep the session sealed with AES-256-GCM under a key derived from the master key and
 * bound to the session id: the identity pivot the consent step needs is in the session, and the
 * data model promises no identity in clear in any table. A row copied to another sid, or edited,
 * does not open and reads as "no session".
 */
import { Logger } from '@nestjs/common';
import session, { type SessionData } from 'express-session';
import { hkdfSync } from 'node:crypto';
import type { Redis } from 'ioredis';
import { decryptString, encrypt } from '../common/index.js';
import type { SessionRepository } from './session.repository.js';

type Callback<T = unknown> = (err?: unknown, value?: T | null) => void;

export class SessionCipher {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = Buffer.from(
      hkdfSync('sha256', masterKey, Buffer.alloc(0), 'passerelle:citizen-session:v1', 32),
    );
  }

  seal(sid: string, data: SessionData): string {
    return encrypt(this.key, JSON.stringify(data), `session:${sid}`);
  }

  /** The session, or null when the sealed value does not open for this sid. */
  open(sid: string, sealed: unknown): SessionData | null {
    if (typeof sealed !== 'string') return null;
    try {
      return JSON.parse(decryptString(this.key, sealed, `session:${sid}`)) as SessionData;
    } catch {
      return null;
    }
  }
}

/** When the session expires: its cookie's expiry (rolling), else now + the idle timeout. */
function expiryOf(sess: SessionData, idleTimeoutMs: number): Date {
  const expires = sess.cookie?.expires;
  if (expires) {
    const date = new Date(expires);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return new Date(Date.now() + idleTimeoutMs);
}

function settle<T>(promise: Promise<T | null>, cb?: Callback<T>): void {
  promise.then(
    (value) => cb?.(null, value),
    (err: unknown) => cb?.(err),
  );
}

export interface ClosableStore extends session.Store {
  close(): Promise<void>;
}

/** The `session` table (Prisma model `Session`). Expired rows are ignored on read and swept. */
export class PrismaSessionStore extends session.Store implements ClosableStore {
  private readonly logger = new Logger(PrismaSessionStore.name);
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly cipher: SessionCipher,
    private readonly idleTimeoutMs: number,
    sweepEveryMs = 10 * 60 * 1000,
  ) {
    super();
    this.sweeper = setInterval(() => void this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  override get(sid: string, cb: Callback<SessionData>): void {
    settle(
      (async () => {
        // Primary key lookup; the expiry test keeps an unswept row from coming back to life.
        const row = await this.sessions.find(sid);
        if (!row || row.expiresAt.getTime() <= Date.now()) return null;
        return this.cipher.open(sid, (row.data as { sealed?: unknown } | null)?.sealed);
      })(),
      cb,
    );
  }

  override set(sid: string, sess: SessionData, cb?: Callback): void {
    const sealed = this.cipher.seal(sid, sess);
    settle(this.sessions.save(sid, sealed, expiryOf(sess, this.idleTimeoutMs)), cb);
  }

  /** Rolling idle timeout: only the expiry moves (no re-encryption, one indexed UPDATE). */
  override touch(sid: string, sess: SessionData, cb?: Callback): void {
    settle(this.sessions.touch(sid, expiryOf(sess, this.idleTimeoutMs)), cb);
  }

  override destroy(sid: string, cb?: Callback): void {
    settle(this.sessions.delete(sid), cb);
  }

  /** Deletes expired rows (uses the expires_at index). */
  async sweep(): Promise<number> {
    try {
      return await this.sessions.deleteExpired(new Date());
    } catch (err) {
      this.logger.warn({ err }, 'expired sessions could not be swept');
      return 0;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}

/**
 * Redis, through the project's Redis client (ioredis). connect-redis 9 only speaks node-redis
 * ≥ 5 (`set(key, value, {expiration})`), which is not one of our dependencies: these four
 * commands are all a store needs.
 */
export class RedisSessionStore extends session.Store implements ClosableStore {
  constructor(
    private readonly redis: Redis,
    private readonly cipher: SessionCipher,
    private readonly idleTimeoutMs: number,
    private readonly prefix = 'passerelle:session:',
  ) {
    super();
  }

  private ttlMs(sess: SessionData): number {
    return Math.max(1, expiryOf(sess, this.idleTimeoutMs).getTime() - Date.now());
  }

  override get(sid: string, cb: Callback<SessionData>): void {
    settle(
      this.redis.get(this.prefix + sid).then((sealed) => this.cipher.open(sid, sealed)),
      cb,
    );
  }

  override set(sid: string, sess: SessionData, cb?: Callback): void {
    settle(
      this.redis.set(this.prefix + sid, this.cipher.seal(sid, sess), 'PX', this.ttlMs(sess)),
      cb,
    );
  }

  override touch(sid: string, sess: SessionData, cb?: Callback): void {
    settle(this.redis.pexpire(this.prefix + sid, this.ttlMs(sess)), cb);
  }

  override destroy(sid: string, cb?: Callback): void {
    settle(this.redis.del(this.prefix + sid), cb);
  }

  /** QUIT (lets the socket close cleanly), bounded: a hung Redis must not stall the shutdown. */
  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.redis.quit().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
    this.redis.disconnect();
  }
}

/**
 * Redis first, PostgreSQL whenever Redis fails: a citizen can log in, open /me and revoke while
 * Redis is down (its commands fail within REDIS_COMMAND_TIMEOUT_MS, see connectRedis). Sessions
 * written meanwhile live in PostgreSQL and are still found there once Redis is back (a read
 * that misses in Redis looks in PostgreSQL); sessions held by Redis alone are not readable
 * during the outage (those citizens log in again). Logout deletes both copies.
 */
export class FallbackSessionStore extends session.Store implements ClosableStore {
  private readonly logger = new Logger(FallbackSessionStore.name);
  private warnedAt = 0;

  constructor(
    private readonly primary: RedisSessionStore,
    private readonly fallback: PrismaSessionStore,
  ) {
    super();
  }

  private degraded(err: unknown, op: string): void {
    // One line per 10 s at most: every citizen request would log otherwise.
    if (Date.now() - this.warnedAt < 10_000) return;
    this.warnedAt = Date.now();
    this.logger.warn(
      { err: (err as Error)?.message, op },
      'Redis session store failing: using PostgreSQL',
    );
  }

  override get(sid: string, cb: Callback<SessionData>): void {
    this.primary.get(sid, (err, value) => {
      if (!err && value) return cb(null, value);
      if (err) this.degraded(err, 'get');
      this.fallback.get(sid, cb);
    });
  }

  override set(sid: string, sess: SessionData, cb?: Callback): void {
    this.primary.set(sid, sess, (err) => {
      if (!err) return cb?.();
      this.degraded(err, 'set');
      this.fallback.set(sid, sess, cb);
    });
  }

  override touch(sid: string, sess: SessionData, cb?: Callback): void {
    this.primary.touch(sid, sess, (err) => {
      if (!err) return cb?.();
      this.degraded(err, 'touch');
      this.fallback.touch(sid, sess, cb);
    });
  }

  override destroy(sid: string, cb?: Callback): void {
    let pending = 2;
    let failures = 0;
    let lastError: unknown;
    const done = (err?: unknown) => {
      if (err) {
        failures++;
        lastError = err;
      }
      if (--pending === 0) cb?.(failures === 2 ? lastError : undefined);
    };
    this.primary.destroy(sid, done);
    this.fallback.destroy(sid, done);
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.fallback.close()]);
  }
}
