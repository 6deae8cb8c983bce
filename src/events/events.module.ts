import { Global, Module } from '@nestjs/common';
import { InvalidationBus } from './invalidation-bus.js';
import { InvalidationWiring } from './invalidation-wiring.js';

/**
 * Events between gateway instances: the InvalidationBus (cache invalidation over Redis pub/sub
 * or PostgreSQL LISTEN/NOTIFY) and its wiring to the caches other modules keep. Global: any
 * module that caches something may `publish` and `subscribe`.
 */
@Global()
@Module({
  providers: [InvalidationBus, InvalidationWiring],
  exports: [InvalidationBus],
})
export class EventsModule {}
