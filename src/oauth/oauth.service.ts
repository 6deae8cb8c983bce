import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { RegistryService } from '../registry/index.js';
import { ASSERTION_ALGORITHMS } from './client-authentication.service.js';
import { AuthorizationServerMetadataDto, JwksDto } from './dto/metadata.dto.js';
import { GRANT_CLIENT_CREDENTIALS } from './dto/token.dto.js';
import { SigningKeyService } from '../signing/index.js';

/** What the gateway publishes about itself as an OAuth 2.0 authorization server. */
@Injectable()
export class OAuthService {
  constructor(
    private readonly keys: SigningKeyService,
    private readonly registry: RegistryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async metadata(): Promise<AuthorizationServerMetadataDto> {
    const base = this.config.publicUrl;
    // Scopes are dataset ids: the ones a client may currently be granted.
    const scopes = await this.registry.activeDatasetIds();
    return {
      issuer: base,
      token_endpoint: `${base}/oauth/token`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      grant_types_supported: [GRANT_CLIENT_CREDENTIALS],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
      scopes_supported: scopes,
      service_documentation: `${base}/docs`,
    };
  }

  async jwks(): Promise<JwksDto> {
    return (await this.keys.jwks()) as JwksDto;
  }
}
