import { Module } from '@nestjs/common';
import { DATASET_REFERENCES, RegistryModule, type DatasetReferences } from '../registry/index.js';
import { CONSENT_SERVICE } from './consent.contract.js';
import { ConsentLifecycleService } from './consent-lifecycle.service.js';
import { ConsentExpiryRepository } from './consent-expiry.repository.js';
import { CitizenConsentsRepository } from './citizen-consents.repository.js';
import { ConsentDecisionRepository } from './consent-decision.repository.js';
import { ConsentRequestsRepository } from './consent-requests.repository.js';
import { ConsentNotifier } from './consent-notifier.service.js';
import { ConsentRequestsController } from './consent-requests.controller.js';
import { ConsentRequestsService } from './consent-requests.service.js';
import { CitizenConsentsService } from './citizen-consents.service.js';
import { ConsentDecisionService } from './consent-decision.service.js';
import { ConsentService } from './consent.service.js';
import { FetchBudgetService } from './fetch-budget.service.js';
import { ConsentRepository } from './consent.repository.js';

/**
 * Consent: the client's request, the citizen's one-time decision, the signed artefact, its
 * revocation and expiry (with crypto-shredding of the identity), and the fetch budget the
 * exchange spends. Other modules inject the service of the job they need
 * (ConsentDecisionService, CitizenConsentsService, FetchBudgetService, typed by
 * consent.contract.ts); ConsentService (also under `CONSENT_SERVICE`) delegates to all three
 * for tests and scripts. SigningKeyService and AuditService come from their global modules.
 */
@Module({
  imports: [RegistryModule],
  controllers: [ConsentRequestsController],
  providers: [
    ConsentRepository,
    ConsentExpiryRepository,
    CitizenConsentsRepository,
    ConsentDecisionRepository,
    ConsentRequestsRepository,
    ConsentDecisionService,
    CitizenConsentsService,
    FetchBudgetService,
    ConsentService,
    { provide: CONSENT_SERVICE, useExisting: ConsentService },
    // The registry asks before deleting a dataset whether consents still name it.
    {
      provide: DATASET_REFERENCES,
      inject: [ConsentRepository],
      useFactory: (consents: ConsentRepository): DatasetReferences => ({
        countReferences: (datasetId) => consents.countDatasetReferences(datasetId),
      }),
    },
    ConsentRequestsService,
    ConsentLifecycleService,
    ConsentNotifier,
  ],
  exports: [
    ConsentDecisionService,
    CitizenConsentsService,
    FetchBudgetService,
    ConsentService,
    CONSENT_SERVICE,
    ConsentLifecycleService,
  ],
})
export class ConsentModule {}
