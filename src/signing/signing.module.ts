import { Global, Module } from '@nestjs/common';
import { SigningKeyRepository } from './signing-key.repository.js';
import { SigningKeyService } from './signing-key.service.js';

/**
 * The gateway's signing keys (ES256, rotation, JWKS): they sign access tokens (oauth), consent
 * receipts and notifications (consent), provider assertions (exchange) and the audit log's
 * checkpoints (audit). Their own module, below all of those, so that none of them imports
 * another to sign. Global: signing is cross-cutting.
 */
@Global()
@Module({
  providers: [SigningKeyService, SigningKeyRepository],
  exports: [SigningKeyService],
})
export class SigningModule {}
