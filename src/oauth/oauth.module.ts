import { Global, Module } from '@nestjs/common';
import { RegistryModule } from '../registry/index.js';
import { AccessTokenService } from './access-token.service.js';
import { ClientAuthGuard } from './client-auth.guard.js';
import { ClientAuthenticationService } from './client-authentication.service.js';
import { ClientSelfController } from './client-self.controller.js';
import { KeysController } from './keys.controller.js';
import { ClientStatusCache } from './client-status.cache.js';
import { ClientStatusInvalidation } from './client-status-invalidation.js';
import { OAuthController } from './oauth.controller.js';
import { OAuthService } from './oauth.service.js';
import { TokenService } from './token.service.js';
import { UsedAssertionRepository } from './used-assertion.repository.js';
import { VerifiedSecrets } from './verified-secrets.js';

/**
 * OAuth 2.0 for requesting services: the token endpoint, the JWKS and key rotation endpoints
 * (the keys themselves are the signing module's), and the bearer guard. Global because its
 * exports are cross-cutting: consent and exchange protect their routes with ClientAuthGuard,
 * the rate limiter reads access tokens.
 */
@Global()
@Module({
  imports: [RegistryModule],
  controllers: [OAuthController, ClientSelfController, KeysController],
  providers: [
    UsedAssertionRepository,
    ClientStatusCache,
    ClientStatusInvalidation,
    VerifiedSecrets,
    AccessTokenService,
    ClientAuthGuard,
    ClientAuthenticationService,
    TokenService,
    OAuthService,
  ],
  exports: [ClientStatusCache, AccessTokenService, ClientAuthGuard],
})
export class OAuthModule {}
