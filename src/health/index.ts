/** The health module's public surface: drain, metrics. */
export { DrainService } from './drain.service.js';
export { HealthModule } from './health.module.js';
export { MetricsService } from './metrics.service.js';
