/**
 * The consent module's public surface: one service per job, each behind its contract
 * (consent.contract.ts): the citizen's decision, the citizen's consents, the exchange's fetch
 * budget; the lifecycle and the sealed identity.
 */
export { ConsentLifecycleService } from './consent-lifecycle.service.js';
export { isUuid } from './consent-status.js';
export {
  CONSENT_SERVICE,
  type CitizenConsentView,
  type ConsentDecision,
  type ConsentRequestView,
  type ConsentServiceContract,
} from './consent.contract.js';
export { ConsentModule } from './consent.module.js';
export { openSealedIdentity } from './identity-sealing.js';
export { CitizenConsentsService } from './citizen-consents.service.js';
export { ConsentDecisionService } from './consent-decision.service.js';
export { FetchBudgetService } from './fetch-budget.service.js';
export type {
  CitizenConsentsContract,
  ConsentDecisionContract,
  FetchBudgetContract,
} from './consent.contract.js';
export type { FetchContextQuery, FetchContextRow } from './fetch-budget.repository.js';
