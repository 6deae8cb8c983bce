/** The signing module's public surface: the gateway's signing keys. */
export { SigningModule } from './signing.module.js';
export { SigningKeyService } from './signing-key.service.js';
