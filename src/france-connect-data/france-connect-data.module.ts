import { DynamicModule, Module } from '@nestjs/common';
import { ExchangeModule } from '../exchange/index.js';
import { IdentityModule } from '../identity/index.js';
import { RegistryModule } from '../registry/index.js';
import { ChecktokenClient } from './checktoken.client.js';
import { FranceConnectDataController } from './france-connect-data.controller.js';
import { FranceConnectDataService } from './france-connect-data.service.js';

/**
 * The API FranceConnectée (`GET /api/v1/france-connect/data/{datasetId}`): Passerelle as a
 * FranceConnect data provider. Present only when FC_DATA_PROVIDER_CLIENT_ID is configured
 * (always in demo mode).
 */
@Module({})
export class FranceConnectDataModule {
  static forRoot(enabled: boolean): DynamicModule {
    if (!enabled) return { module: FranceConnectDataModule };
    return {
      module: FranceConnectDataModule,
      imports: [ExchangeModule, IdentityModule, RegistryModule],
      controllers: [FranceConnectDataController],
      providers: [ChecktokenClient, FranceConnectDataService],
    };
  }
}
