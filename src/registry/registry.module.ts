import { Module } from '@nestjs/common';
import { ClientsController } from './clients.controller.js';
import { ClientsRepository } from './clients.repository.js';
import { ClientsService } from './clients.service.js';
import { DatasetsController } from './datasets.controller.js';
import { DatasetsRepository } from './datasets.repository.js';
import { DatasetsService } from './datasets.service.js';
import { HabilitationsController } from './habilitations.controller.js';
import { HabilitationsRepository } from './habilitations.repository.js';
import { HabilitationsService } from './habilitations.service.js';
import { ProvidersController } from './providers.controller.js';
import { ProvidersRepository } from './providers.repository.js';
import { ProvidersService } from './providers.service.js';
import { RegistryRepository } from './registry.repository.js';
import { RegistryService } from './registry.service.js';

/**
 * Providers, datasets, clients and habilitations: the operator API that writes them
 * (`/api/v1/admin/*`) and `RegistryService`, the read side other
 * modules use on the hot path.
 */
@Module({
  controllers: [
    ProvidersController,
    DatasetsController,
    ClientsController,
    HabilitationsController,
  ],
  providers: [
    RegistryService,
    ProvidersService,
    DatasetsService,
    ClientsService,
    HabilitationsService,
    HabilitationsRepository,
    RegistryRepository,
    ProvidersRepository,
    DatasetsRepository,
    ClientsRepository,
  ],
  exports: [RegistryService],
})
export class RegistryModule {}
