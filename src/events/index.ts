/** What other modules use from the events module. */
export { EventsModule } from './events.module.js';
export {
  InvalidationBus,
  type InvalidationEvent,
  type InvalidationHandler,
} from './invalidation-bus.js';
