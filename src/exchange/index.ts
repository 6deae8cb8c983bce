/** The exchange module's public surface: the provider client and assertions the preview and the API FranceConnectée call. */
export { ExchangeModule } from './exchange.module.js';
export { type IdentityPivot } from './exchange.types.js';
export { ProviderAssertions } from './provider-assertions.service.js';
export { ProviderClient } from './provider-client.service.js';
export { datasetTarget, providerTarget } from './registry-targets.js';
export { CALL_INTENT_AUDIT_KIND } from './consented-fetch.service.js';
