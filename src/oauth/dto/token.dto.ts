import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * `POST /oauth/token` form (application/x-www-form-urlencoded). Validated by the token service
 * itself, not the global pipe: a failure must answer RFC 6749 `invalid_request`, and unknown
 * parameters must be ignored (RFC 6749 §3.2), not refused.
 */
export class TokenRequestDto {
  @ApiProperty({ enum: [GRANT_CLIENT_CREDENTIALS], example: GRANT_CLIENT_CREDENTIALS })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  grant_type: string;

  @ApiPropertyOptional({
    description:
      "Space-separated dataset ids. Omitted: every dataset the client's active habilitations cover.",
    example: 'cnaf.quotient_familial dgfip.avis_imposition',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  scope?: string;

  @ApiPropertyOptional({ description: 'client_secret_post and private_key_jwt (optional there)' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  client_id?: string;

  @ApiPropertyOptional({ description: 'client_secret_post only' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  client_secret?: string;

  @ApiPropertyOptional({ enum: [JWT_BEARER_ASSERTION_TYPE], description: 'private_key_jwt only' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_assertion_type?: string;

  @ApiPropertyOptional({
    description:
      "private_key_jwt only (RFC 7523): a JWT signed with one of the client's registered keys " +
      '(ES256, RS256 or PS256), iss = sub = client_id, aud = the token endpoint URL or the ' +
      'issuer, exp at most 5 minutes ahead, a jti used once.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(16000)
  client_assertion?: string;
}

/** RFC 6749 §5.1 successful answer. */
export class TokenResponseDto {
  @ApiProperty({ description: 'ES256 JWT (RFC 9068 profile, typ at+jwt)' })
  access_token: string;

  @ApiProperty({ enum: ['Bearer'] })
  token_type: 'Bearer';

  @ApiProperty({ example: 300, description: 'Lifetime in seconds' })
  expires_in: number;

  @ApiPropertyOptional({ example: 'cnaf.quotient_familial', description: 'Granted dataset ids' })
  scope?: string;
}

/** RFC 6749 §5.2 error answer (the token endpoint's only error shape). */
export class OAuthErrorDto {
  @ApiProperty({
    enum: [
      'invalid_request',
      'invalid_client',
      'invalid_grant',
      'unauthorized_client',
      'unsupported_grant_type',
      'invalid_scope',
      'server_error',
    ],
  })
  error: string;

  @ApiProperty({ example: 'Client authentication failed.' })
  error_description: string;
}
