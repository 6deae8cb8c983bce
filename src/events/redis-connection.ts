import type { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

/**
 * One ioredis connection for one role (rate-limit counters, pub/sub publisher, subscriber).
 * A subscriber connection cannot send ordinary commands, hence one connection per role.
 *
 * Commands fail fast when Redis is unreachable (no offline queue beyond the first connect, two
 * retries): a request must not hang on a dead Redis; the callers decide what a failure means.
 */
/** Longest wait for Redis on a request's path (issue 10: nothing blocks on Redis longer). */
export const REDIS_COMMAND_TIMEOUT_MS = 250;

export function connectRedis(
  url: string,
  role: string,
  logger: Logger,
  options: { failFast?: boolean } = {},
): Redis {
  const redis = new Redis(url, {
    connectionName: `passerelle:${role}`,
    maxRetriesPerRequest: 2,
    // failFast: while disconnected, commands fail at once instead of waiting for a reconnection
    // (for callers on a request's path that have a sensible fallback).
    enableOfflineQueue: !options.failFast,
    // And a Redis that accepts the connection but does not answer (overloaded, failing over)
    // must not hold a request either: a command that takes longer is failed.
    ...(options.failFast ? { commandTimeout: REDIS_COMMAND_TIMEOUT_MS } : {}),
    // Reconnect with a capped backoff, forever: Redis coming back must heal the instance.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  });
  if (options.failFast) {
    // A command timed out: the server hangs. Drop the connection and reconnect, so that the
    // commands that follow fail at once (no offline queue) instead of each waiting the timeout,
    // until Redis answers again.
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
      const pending = send(...args) as unknown as Promise<unknown>;
      pending.catch((err: unknown) => {
        if ((err as Error)?.message === 'Command timed out' && redis.status === 'ready') {
          logger.warn({ role }, 'Redis command timed out: reconnecting');
          redis.disconnect(true);
        }
      });
      return pending;
    }) as Redis['sendCommand'];
  }
  let failing = false;
  redis.on('error', (err: Error) => {
    // ioredis repeats the error at every reconnection attempt: log the first one only.
    if (!failing) logger.warn({ err: err.message, role }, 'Redis connection error');
    failing = true;
  });
  redis.on('ready', () => {
    if (failing) logger.log({ role }, 'Redis connection restored');
    failing = false;
  });
  return redis;
}
