/** What other modules use from the events module. */
export { EventsModule } from './events.module.js';
export {
  InvalidationBus,
  type InvalidationEvent,
  type InvalidationHandler,
} from './invalidation-bus.js';
export { connectRedis, REDIS_COMMAND_TIMEOUT_MS } from './redis-connection.js';
