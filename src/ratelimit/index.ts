/** The rate-limit module's public surface. */
export { RateLimitModule } from './rate-limit.module.js';
