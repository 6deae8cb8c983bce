import { Inject, Logger, Module, OnModuleDestroy } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { connectRedis } from '../events/index.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import {
  MemoryRateLimitStorage,
  RATE_LIMIT_STORAGE,
  type RateLimitStorage,
  SharedRateLimitStorage,
} from './rate-limit.storage.js';

function rateLimitStorage(config: AppConfig): RateLimitStorage {
  if (!config.redisUrl) return new MemoryRateLimitStorage();
  const logger = new Logger('RateLimit');
  // failFast: a sync finds Redis down at once instead of queueing behind a reconnection.
  const redis = connectRedis(config.redisUrl, 'rate-limit', logger, { failFast: true });
  return new SharedRateLimitStorage(redis, config.redisKeyPrefix, config.rateLimit.syncMs, logger);
}

/**
 * Rate limits on every route (RateLimitGuard, global): RATE_LIMIT_PER_MINUTE per requesting
 * service on the API, RATE_LIMIT_TOKEN_PER_MINUTE per address and client_id on
 * `POST /oauth/token`. Counters live in this process's memory; with REDIS_URL, each instance
 * shares them through Redis every RATE_LIMIT_SYNC_MS (see SharedRateLimitStorage for the bound).
 */
@Module({
  providers: [
    { provide: RATE_LIMIT_STORAGE, inject: [APP_CONFIG], useFactory: rateLimitStorage },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
})
export class RateLimitModule implements OnModuleDestroy {
  constructor(@Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage) {}

  async onModuleDestroy(): Promise<void> {
    await this.storage.close();
  }
}
