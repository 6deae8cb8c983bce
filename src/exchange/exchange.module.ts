import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { ConsentModule } from '../consent/index.js';
import { HealthModule } from '../health/index.js';
import { RegistryModule } from '../registry/index.js';
import { ClientOrOperatorGuard } from './client-or-operator.guard.js';
import { ConsentedFetchController } from './consented-fetch.controller.js';
import { ConsentedFetchService } from './consented-fetch.service.js';
import { DatasetSchemas } from './dataset-schemas.service.js';
import { FetchPipeline } from './fetch-pipeline.js';
import { ProviderAssertions } from './provider-assertions.service.js';
import { ProviderClient } from './provider-client.service.js';
import { ProviderHealth } from './provider-health.service.js';
import { ProviderStatusService } from './provider-status.service.js';
import { ProvidersStatusController } from './providers-status.controller.js';

/**
 * The live exchange with data providers: ProviderClient (the call, its resilience and the
 * answer's validation), ProviderAssertions (the signed header a provider verifies),
 * DatasetSchemas and ProviderHealth (what `GET /api/v1/providers/status` reports), FetchPipeline
 * (intent, assertion, call, digest, outcome: the one path to a provider, used by the consented
 * fetch, the citizen's preview and the API FranceConnectée), and the consented fetch `GET /api/v1/consents/{id}/data/{datasetId}` (ConsentedFetchService).
 */
@Module({
  imports: [ConsentModule, RegistryModule, HealthModule],
  controllers: [ProvidersStatusController, ConsentedFetchController],
  providers: [
    ConsentedFetchService,
    FetchPipeline,
    DatasetSchemas,
    ProviderHealth,
    ClientOrOperatorGuard,
    ProviderAssertions,
    ProviderStatusService,
    {
      provide: ProviderClient,
      inject: [DatasetSchemas, ProviderHealth, APP_CONFIG],
      useFactory: (schemas: DatasetSchemas, health: ProviderHealth, config: AppConfig) =>
        new ProviderClient(schemas, health, {
          breakerResetMs: config.exchange.breakerResetMs,
          queueWaitMs: config.exchange.queueWaitMs,
          maxResponseBytes: config.exchange.maxResponseBytes,
          outboundAllowList: config.outboundAllowList,
        }),
    },
  ],
  exports: [FetchPipeline, ProviderClient, ProviderAssertions, DatasetSchemas, ProviderHealth],
})
export class ExchangeModule {}
