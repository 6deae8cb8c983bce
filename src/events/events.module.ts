import { Global, Module } from '@nestjs/common';
import { InvalidationBus } from './invalidation-bus.js';

/**
 * Events between gateway instances: the InvalidationBus (cache invalidation over Redis pub/sub
 * or PostgreSQL LISTEN/NOTIFY). Global: any module that caches something may `publish` and
 * `subscribe` (oauth's ClientStatusInvalidation, consent's ConsentEventsBridge); this module
 * imports none of them.
 */
@Global()
@Module({
  providers: [InvalidationBus],
  exports: [InvalidationBus],
})
export class EventsModule {}
