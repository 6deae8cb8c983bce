import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 8414 §2 authorization server metadata (the parts a client-credentials server has). */
export class AuthorizationServerMetadataDto {
  @ApiProperty({ example: 'https://passerelle.example.gouv.fr' })
  issuer: string;

  @ApiProperty({ example: 'https://passerelle.example.gouv.fr/oauth/token' })
  token_endpoint: string;

  @ApiProperty({ example: 'https://passerelle.example.gouv.fr/.well-known/jwks.json' })
  jwks_uri: string;

  @ApiProperty({ type: [String], example: ['client_credentials'] })
  grant_types_supported: string[];

  @ApiProperty({
    type: [String],
    description: 'Empty: there is no authorization endpoint (client credentials only).',
    example: [],
  })
  response_types_supported: string[];

  @ApiProperty({
    type: [String],
    example: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
  })
  token_endpoint_auth_methods_supported: string[];

  @ApiProperty({ type: [String], example: ['ES256', 'RS256', 'PS256'] })
  token_endpoint_auth_signing_alg_values_supported: string[];

  @ApiProperty({
    type: [String],
    description: 'Active dataset ids',
    example: ['cnaf.quotient_familial'],
  })
  scopes_supported: string[];

  @ApiPropertyOptional({ example: 'https://passerelle.example.gouv.fr/docs' })
  service_documentation?: string;
}

/** RFC 7517 JWK Set of the gateway's public signing keys. */
export class JwksDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: '…', alg: 'ES256', use: 'sig' }],
  })
  keys: Record<string, unknown>[];
}
