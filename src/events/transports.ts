/**
 * How invalidation messages travel between gateway instances: Redis pub/sub when REDIS_URL is
 * set, else PostgreSQL LISTEN/NOTIFY on the shared database. Both are at-most-once: a
 * subscriber that was disconnected misses what was sent meanwhile, so each transport reports
 * a reconnection as a *gap* and the bus then tells every cache to drop everything.
 */
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Client, Pool } from 'pg';
import { connectRedis } from './redis-connection.js';

export interface InvalidationTransport {
  readonly name: 'redis' | 'postgres' | 'redis+postgres';
  /** Resolves once this instance listens (messages sent after that reach it). */
  start(onMessage: (raw: string) => void, onGap: () => void): Promise<void>;
  /** Resolves once the broker accepted the message (it is then on its way to every listener). */
  send(raw: string): Promise<void>;
  close(): Promise<void>;
}

export class RedisTransport implements InvalidationTransport {
  readonly name = 'redis';
  private readonly logger = new Logger('InvalidationBus');
  private readonly publisher: Redis;
  private readonly subscriber: Redis;

  constructor(
    url: string,
    private readonly channel: string,
  ) {
    // Fails fast: a revocation or a suspension must not wait for Redis (FallbackTransport then
    // sends through PostgreSQL).
    this.publisher = connectRedis(url, 'invalidation-publisher', this.logger, { failFast: true });
    this.subscriber = connectRedis(url, 'invalidation-subscriber', this.logger);
  }

  async start(onMessage: (raw: string) => void, onGap: () => void): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) onMessage(message);
    });
    await this.subscriber.subscribe(this.channel);
    // ioredis re-subscribes by itself after a reconnection; whatever was published while the
    // connection was down is lost, hence the gap.
    this.subscriber.on('ready', onGap);
  }

  async send(raw: string): Promise<void> {
    await this.publisher.publish(this.channel, raw);
  }

  /** The publisher's connection is up (ioredis status), without a round trip. */
  ready(): boolean {
    return this.publisher.status === 'ready';
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}

/** Reconnection delay of the LISTEN connection after it was lost. */
const PG_RECONNECT_MS = 1000;

export class PostgresTransport implements InvalidationTransport {
  readonly name = 'postgres';
  private readonly logger = new Logger('InvalidationBus');
  /** NOTIFY goes through a tiny pool: sending must not wait for the listener to reconnect. */
  private readonly pool: Pool;
  private listener: Client | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly channel: string,
  ) {
    this.pool = new Pool({ connectionString: url, max: 2, idleTimeoutMillis: 30_000 });
    this.pool.on('error', (err) => this.logger.warn({ err: err.message }, 'NOTIFY pool error'));
  }

  async start(onMessage: (raw: string) => void, onGap: () => void): Promise<void> {
    await this.listen(onMessage, onGap, false);
  }

  private async listen(
    onMessage: (raw: string) => void,
    onGap: () => void,
    reconnecting: boolean,
  ): Promise<void> {
    const client = new Client({ connectionString: this.url });
    const retry = () => {
      if (this.closed || this.listener !== client) return;
      this.listener = null;
      client.end().catch(() => undefined);
      this.timer = setTimeout(() => {
        // With `reconnecting`, listen() never rejects: it schedules its own next attempt.
        this.listen(onMessage, onGap, true).catch(() => undefined);
      }, PG_RECONNECT_MS);
      this.timer.unref();
    };
    this.listener = client;
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload) onMessage(msg.payload);
    });
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'LISTEN connection lost');
      retry();
    });
    client.on('end', retry);
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
    } catch (err) {
      if (!reconnecting) throw err;
      retry();
      return;
    }
    if (reconnecting) {
      this.logger.log('LISTEN connection restored');
      onGap();
    }
  }

  async send(raw: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, raw]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const listener = this.listener;
    this.listener = null;
    await Promise.allSettled([listener?.end(), this.pool.end()]);
  }
}

/**
 * Redis pub/sub with PostgreSQL LISTEN/NOTIFY beside it, for deployments that have both:
 * every instance listens on both, and a message goes through Redis, or through PostgreSQL when
 * Redis fails (its publisher fails within REDIS_COMMAND_TIMEOUT_MS). So a suspension or a
 * revocation reaches every instance while Redis is down, and the operator's call does not wait
 * for Redis. A receiver may get a message twice (a cache drops an entry twice: harmless).
 */
export class FallbackTransport implements InvalidationTransport {
  readonly name = 'redis+postgres';
  private readonly logger = new Logger('InvalidationBus');

  constructor(
    private readonly redis: RedisTransport,
    private readonly postgres: PostgresTransport,
  ) {}

  async start(onMessage: (raw: string) => void, onGap: () => void): Promise<void> {
    await this.postgres.start(onMessage, onGap);
    // Not awaited: an instance starts, and serves, while Redis is down (ioredis subscribes once
    // it connects).
    this.redis.start(onMessage, onGap).catch((err: unknown) => {
      this.logger.warn({ err: (err as Error).message }, 'Redis subscription failed');
    });
  }

  async send(raw: string): Promise<void> {
    try {
      await this.redis.send(raw);
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message },
        'Redis publish failed: invalidation sent through PostgreSQL',
      );
      await this.postgres.send(raw);
    }
  }

  /** Whether Redis answers (readiness reports it; the service does not depend on it). */
  redisReady(): boolean {
    return this.redis.ready();
  }

  async close(): Promise<void> {
    await Promise.all([this.redis.close(), this.postgres.close()]);
  }
}
