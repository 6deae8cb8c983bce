/** What other modules use from the identity module. */
export { IdentityModule } from './identity.module.js';
export { CitizenSessionGuard, CurrentCitizen, citizenOf } from './citizen-session.guard.js';
export {
  CitizenSessionMiddleware,
  CITIZEN_SESSION_PATHS,
  SESSION_COOKIE_NAME,
} from './citizen-session.middleware.js';
export { assertCsrf, csrfToken, verifyCsrf } from './csrf.js';
export type { CitizenPrincipal, IdentityPivot } from './identity.types.js';
export { IdentityService } from './identity.service.js';
export {
  FranceConnectClient,
  ALLOWED_ALGORITHMS,
  CLOCK_TOLERANCE_SECONDS,
} from './franceconnect.client.js';
export { IDENTITY_PIVOT_CLAIMS } from './identity.types.js';
