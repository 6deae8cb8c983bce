/**
 * The exchange module's public surface: what other modules may use of the live exchange with
 * data providers. Anything else in this folder is its own business.
 */
export { ExchangeModule } from './exchange.module.js';
export {
  CALL_INTENT_AUDIT_KIND,
  FetchPipeline,
  type DeliveredFacts,
  type FetchAuditEvents,
  type FetchPipelineInput,
  type FetchPipelineResult,
} from './fetch-pipeline.js';
export type { DatasetTarget, IdentityPivot, ProviderTarget } from './exchange.types.js';
export { datasetTarget, providerTarget } from './registry-targets.js';
