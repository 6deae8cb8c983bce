/** The consent module's public surface: the contract other modules call (ConsentServiceContract under CONSENT_SERVICE), its lifecycle and the sealed identity. */
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
