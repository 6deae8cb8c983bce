/** The oauth module's public surface: the bearer guard, access tokens, signing keys, the client status cache. */
export { AccessTokenService, type AuthenticatedClient } from './access-token.service.js';
export { ClientAuthGuard, CurrentClient } from './client-auth.guard.js';
export { ClientStatusCache } from './client-status.cache.js';
export { tokenEndpointBodyErrors } from './oauth-error.filter.js';
export { OAuthModule } from './oauth.module.js';
export { bearerToken } from './access-token.service.js';
