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
import { SigningKeyService } from './signing-key.service.js';
import { TokenService } from './token.service.js';

/**
 * OAuth 2.0 for requesting services: the token endpoint, the gateway's signing keys and JWKS,
 * and the bearer guard. Global because its exports are cross-cutting: consent and exchange
 * protect their routes with ClientAuthGuard, consent signs receipts with SigningKeyService, and
 * the registry invalidates ClientStatusCache when it suspends a client.
 */
@Global()
@Module({
  imports: [RegistryModule],
  controllers: [OAuthController, ClientSelfController, KeysController],
  providers: [
    SigningKeyService,
    ClientStatusCache,
    ClientStatusInvalidation,
    AccessTokenService,
    ClientAuthGuard,
    ClientAuthenticationService,
    TokenService,
    OAuthService,
  ],
  exports: [SigningKeyService, ClientStatusCache, AccessTokenService, ClientAuthGuard],
})
export class OAuthModule {}
