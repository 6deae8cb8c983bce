import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  getSchemaPath,
  OmitType,
  PartialType,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Equals,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PageDto, PageQueryDto } from '../pagination.js';
import { IsOptionalNotNull, IsProviderUrl } from '../validators.js';

export const PROVIDER_ID = /^[a-z][a-z0-9_]{1,31}$/;
export const PROVIDER_AUTH_KINDS = [
  'none',
  'api_key',
  'bearer',
  'oauth2_client_credentials',
] as const;
export type ProviderAuthKind = (typeof PROVIDER_AUTH_KINDS)[number];
export const PROVIDER_STATUSES = ['active', 'disabled'] as const;

/**
 * An HTTP header name, except those the HTTP client owns or that would change how the request
 * is framed or routed (compared case-insensitively, as HTTP does).
 */
const HEADER_NAME = new RegExp(
  '^(?!(?:host|content-length|transfer-encoding|connection|keep-alive|upgrade|te|trailer|' +
    'proxy-authorization|proxy-connection|cookie|x-request-id)$)[A-Za-z0-9][A-Za-z0-9-]{0,63}$',
  'i',
);

// --- auth: a discriminated union on `kind` -----------------------------------------------------

/** What an unknown `kind` is validated as: only the discriminator, which then fails. */
export class ProviderAuthBaseDto {
  @ApiProperty({ enum: PROVIDER_AUTH_KINDS })
  @IsIn(PROVIDER_AUTH_KINDS)
  kind: ProviderAuthKind;
}

export class NoAuthDto {
  @ApiProperty({ enum: ['none'] })
  @Equals('none')
  kind: 'none';
}

export class ApiKeyAuthDto {
  @ApiProperty({ enum: ['api_key'] })
  @Equals('api_key')
  kind: 'api_key';

  @ApiProperty({ example: 'X-Api-Key', description: 'Request header carrying the key' })
  @Matches(HEADER_NAME, { message: 'headerName must be an HTTP header name, not a reserved one' })
  headerName: string;

  @ApiProperty({ writeOnly: true, description: 'The API key; encrypted at rest, never returned' })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  secret: string;
}

export class BearerAuthDto {
  @ApiProperty({ enum: ['bearer'] })
  @Equals('bearer')
  kind: 'bearer';

  @ApiProperty({
    writeOnly: true,
    description: 'Static bearer token; encrypted at rest, never returned',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  token: string;
}

export class OAuth2ClientCredentialsAuthDto {
  @ApiProperty({ enum: ['oauth2_client_credentials'] })
  @Equals('oauth2_client_credentials')
  kind: 'oauth2_client_credentials';

  @ApiProperty({ example: 'https://authentification.example.gouv.fr/oauth/token' })
  @IsProviderUrl()
  tokenUrl: string;

  @ApiProperty({ example: 'passerelle' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  clientId: string;

  @ApiProperty({ writeOnly: true, description: 'Encrypted at rest, never returned' })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  clientSecret: string;

  @ApiPropertyOptional({ example: 'api_statut', description: 'Scope asked at the token endpoint' })
  @IsOptionalNotNull()
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, {
    message: 'scope must be space-separated scope tokens (RFC 6749 §3.3)',
  })
  @MaxLength(1000)
  scope?: string;
}

export type ProviderAuthInput =
  NoAuthDto | ApiKeyAuthDto | BearerAuthDto | OAuth2ClientCredentialsAuthDto;

const AUTH_SCHEMA = {
  oneOf: [
    { $ref: getSchemaPath(NoAuthDto) },
    { $ref: getSchemaPath(ApiKeyAuthDto) },
    { $ref: getSchemaPath(BearerAuthDto) },
    { $ref: getSchemaPath(OAuth2ClientCredentialsAuthDto) },
  ],
  discriminator: { propertyName: 'kind' },
};

// --- requests ------------------------------------------------------------------------------------

@ApiExtraModels(NoAuthDto, ApiKeyAuthDto, BearerAuthDto, OAuth2ClientCredentialsAuthDto)
export class CreateProviderDto {
  @ApiProperty({ example: 'cnaf', pattern: PROVIDER_ID.source })
  @Matches(PROVIDER_ID, { message: 'id must match ^[a-z][a-z0-9_]{1,31}$' })
  id: string;

  @ApiProperty({ example: 'Caisse nationale des allocations familiales (CNAF)' })
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(200)
  name: string;

  @ApiProperty({
    example: 'https://api.cnaf.example.gouv.fr',
    description: 'http(s) only, no credentials, query or fragment',
  })
  @IsProviderUrl()
  baseUrl: string;

  @ApiProperty({ ...AUTH_SCHEMA, description: 'How the gateway authenticates to this provider' })
  @ValidateNested()
  @Type(() => ProviderAuthBaseDto, {
    keepDiscriminatorProperty: true,
    discriminator: {
      property: 'kind',
      subTypes: [
        { name: 'none', value: NoAuthDto },
        { name: 'api_key', value: ApiKeyAuthDto },
        { name: 'bearer', value: BearerAuthDto },
        { name: 'oauth2_client_credentials', value: OAuth2ClientCredentialsAuthDto },
      ],
    },
  })
  auth: ProviderAuthInput;

  @ApiPropertyOptional({ minimum: 100, maximum: 60000, default: 5000 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(100)
  @Max(60000)
  timeoutMs?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1000,
    default: 32,
    description: 'Concurrent calls at most',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxConcurrency?: number;

  @ApiPropertyOptional({ enum: PROVIDER_STATUSES, default: 'active' })
  @IsOptionalNotNull()
  @IsIn(PROVIDER_STATUSES)
  status?: (typeof PROVIDER_STATUSES)[number];
}

/** Every field optional; `auth`, when given, replaces the whole authentication (secret included). */
export class UpdateProviderDto extends PartialType(OmitType(CreateProviderDto, ['id'] as const), {
  skipNullProperties: false,
}) {}

export class ProviderListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PROVIDER_STATUSES, description: 'Only providers with this status' })
  @IsOptionalNotNull()
  @IsIn(PROVIDER_STATUSES)
  status?: (typeof PROVIDER_STATUSES)[number];
}

// --- responses -----------------------------------------------------------------------------------

/** The non-secret view of a provider's authentication. */
export class ProviderAuthViewDto {
  @ApiProperty({ enum: PROVIDER_AUTH_KINDS })
  kind: ProviderAuthKind;

  @ApiPropertyOptional({ example: 'X-Api-Key' })
  headerName?: string;

  @ApiPropertyOptional()
  tokenUrl?: string;

  @ApiPropertyOptional()
  clientId?: string;

  @ApiPropertyOptional()
  scope?: string;

  @ApiProperty({ description: 'Whether a secret is stored (it is never returned)' })
  secretSet: boolean;
}

export class ProviderDto {
  @ApiProperty({ example: 'cnaf' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty()
  baseUrl: string;

  @ApiProperty({ type: ProviderAuthViewDto })
  auth: ProviderAuthViewDto;

  @ApiProperty()
  timeoutMs: number;

  @ApiProperty()
  maxConcurrency: number;

  @ApiProperty({ enum: PROVIDER_STATUSES })
  status: string;

  @ApiProperty()
  createdAt: Date;

  @ApiProperty()
  updatedAt: Date;
}

export class ProviderPageDto extends PageDto {
  @ApiProperty({ type: [ProviderDto] })
  items: ProviderDto[];
}
