import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import {
  FallbackTransport,
  PostgresTransport,
  RedisTransport,
  type InvalidationTransport,
} from './transports.js';

/**
 * Something changed that caches keyed on it must forget, on every instance. Events name the
 * thing, never carry its new state: a cache drops its entry and re-reads the database.
 *
 * Only what a cache holds has a kind. Consents, habilitations, providers and datasets have none:
 * the consented fetch reads them from the database on every request (registry targets are
 * checked against versions read in the same query), so a revocation or a suspension is seen by
 * the next request on every instance without any message.
 */
export type InvalidationEvent =
  /** A client's status, secret or keys changed (by its public OAuth client_id). */
  | { kind: 'client'; clientId: string }
  /** Messages may have been lost (a transport reconnected): drop every cached entry. */
  | { kind: 'all' };

/** `origin`: published by this instance ('local') or received from another one ('remote'). */
export type InvalidationHandler = (event: InvalidationEvent, origin: 'local' | 'remote') => void;

/** Wire format version; a message of another version is ignored (rolling upgrades). */
const WIRE_VERSION = 1;

interface WireMessage {
  v: number;
  /** Instance that published: it already delivered the event locally. */
  from: string;
  event: InvalidationEvent;
}

const STRING_FIELDS: Record<InvalidationEvent['kind'], string[]> = {
  client: ['clientId'],
  all: [],
};

/** A message from the wire is untrusted input: only well-formed events are delivered. */
export function parseWireMessage(raw: string): WireMessage | null {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null) return null;
  const { v, from, event } = msg as Partial<WireMessage>;
  if (v !== WIRE_VERSION || typeof from !== 'string') return null;
  if (typeof event !== 'object' || event === null) return null;
  const fields = STRING_FIELDS[(event as { kind?: string }).kind as InvalidationEvent['kind']];
  if (!fields) return null;
  const record = event as unknown as Record<string, unknown>;
  if (!fields.every((f) => typeof record[f] === 'string' && (record[f] as string).length <= 200)) {
    return null;
  }
  return { v, from, event };
}

/**
 * Cache invalidation across gateway instances. `publish` delivers the event to this instance's
 * subscribers at once (synchronously: the instance that made a change never serves a stale
 * entry afterwards), then sends it to every other instance, which deliver it to theirs.
 *
 * Transport: Redis pub/sub when REDIS_URL is set, with PostgreSQL LISTEN/NOTIFY beside it when
 * DATABASE_URL is set too (FallbackTransport: used while Redis fails); otherwise LISTEN/NOTIFY when
 * DATABASE_URL is set (instances sharing a database need no extra service for this); with the
 * embedded database there is one instance and delivery stays in process.
 *
 * Caches must still bound their entries' lifetime: pub/sub is at-most-once. A reconnection is
 * reported as `{kind: 'all'}` so that caches drop everything they might have missed.
 *
 *   bus.subscribe((e) => { if (e.kind === 'client' || e.kind === 'all') cache.drop(e); });
 *   await bus.publish({ kind: 'client', clientId });
 */
@Injectable()
export class InvalidationBus implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(InvalidationBus.name);
  /** Distinguishes this process's own messages when they come back from the broker. */
  readonly instanceId = randomUUID();
  private readonly handlers = new Set<InvalidationHandler>();
  private readonly transport: InvalidationTransport | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const channel = `${config.redisKeyPrefix}invalidation`;
    if (config.redisUrl && config.databaseUrl) {
      this.transport = new FallbackTransport(
        new RedisTransport(config.redisUrl, channel),
        new PostgresTransport(config.databaseUrl, channel),
      );
    } else if (config.redisUrl) this.transport = new RedisTransport(config.redisUrl, channel);
    else if (config.databaseUrl)
      this.transport = new PostgresTransport(config.databaseUrl, channel);
    else this.transport = null;
  }

  /** 'redis+postgres', 'redis', 'postgres', or 'local' (one instance, embedded database). */
  get transportName(): string {
    return this.transport?.name ?? 'local';
  }

  /** Redis's state as this instance sees it: undefined when Redis is not configured. */
  redisState(): 'up' | 'down' | undefined {
    const t = this.transport;
    if (t instanceof FallbackTransport) return t.redisReady() ? 'up' : 'down';
    if (t instanceof RedisTransport) return t.ready() ? 'up' : 'down';
    return undefined;
  }

  async onModuleInit(): Promise<void> {
    await this.transport?.start(
      (raw) => this.receive(raw),
      () => {
        this.logger.warn('invalidation messages may have been missed: dropping every cache');
        this.deliver({ kind: 'all' }, 'remote');
      },
    );
  }

  /** Returns the function that unsubscribes. */
  subscribe(handler: InvalidationHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /**
   * Delivers here, now, then to the other instances. Resolves once the broker accepted the
   * message; never rejects (a broker failure is logged: the other instances' caches then expire
   * on their own, which is why they must bound their entries' lifetime).
   */
  async publish(event: InvalidationEvent): Promise<void> {
    this.deliver(event, 'local');
    await this.broadcast(event);
  }

  /** Sends to the other instances only (the event was already delivered here). */
  async broadcast(event: InvalidationEvent): Promise<void> {
    if (!this.transport) return;
    const message: WireMessage = { v: WIRE_VERSION, from: this.instanceId, event };
    try {
      await this.transport.send(JSON.stringify(message));
    } catch (err) {
      this.logger.error(
        { err: (err as Error).message, kind: event.kind },
        'invalidation could not be sent to the other instances',
      );
    }
  }

  private receive(raw: string): void {
    const message = parseWireMessage(raw);
    if (!message) {
      this.logger.warn('malformed invalidation message ignored');
      return;
    }
    if (message.from === this.instanceId) return;
    this.deliver(message.event, 'remote');
  }

  private deliver(event: InvalidationEvent, origin: 'local' | 'remote'): void {
    for (const handler of this.handlers) {
      try {
        handler(event, origin);
      } catch (err) {
        this.logger.error({ err, kind: event.kind }, 'invalidation handler failed');
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.handlers.clear();
    await this.transport?.close();
  }
}
