import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
} from 'class-validator';
import { PageDto, PageQueryDto } from '../pagination.js';
import { IsOptionalNotNull, IsJwksUri, IsPublicJwks, IsSiret, urlProblem } from '../validators.js';

export const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;
/** A FranceConnect client_id (FranceConnect gives 64 hex characters; other instances differ). */
export const FRANCE_CONNECT_CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/;
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];
export const CLIENT_STATUSES = ['active', 'suspended'] as const;
export const MAX_REDIRECT_URIS = 20;

/** Each registered redirect URI (exact match at use): https, or http on loopback only. */
const IsRedirectUriList = () =>
  ValidateBy({
    name: 'isRedirectUriList',
    validator: {
      validate: (value) => redirectUrisProblem(value) === null,
      defaultMessage: (args) => redirectUrisProblem(args?.value) ?? 'redirectUris is invalid',
    },
  });

function redirectUrisProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return null; // IsArray reports it
  for (const [i, uri] of value.entries()) {
    const problem = urlProblem(uri, `redirectUris[${i}]`, { http: 'loopback', query: true });
    if (problem) return problem;
  }
  return null;
}

export class CreateClientDto {
  @ApiPropertyOptional({
    example: 'mairie-de-lyon-cantine',
    pattern: CLIENT_ID.source,
    description: 'OAuth client_id; a random UUID when absent',
  })
  @IsOptionalNotNull()
  @Matches(CLIENT_ID, { message: 'clientId must match ^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$' })
  clientId?: string;

  @ApiProperty({ example: 'Ville de Lyon — inscription à la cantine' })
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(200)
  name: string;

  @ApiProperty({
    example: '21690123100011',
    description: '14 digits, Luhn-checked (La Poste exception)',
  })
  @IsSiret()
  siret: string;

  @ApiProperty({ example: 'dpo@mairie-lyon.fr' })
  @IsEmail()
  @MaxLength(254)
  contactEmail: string;

  @ApiProperty({
    type: [String],
    example: ['https://demarches.lyon.fr/passerelle/retour'],
    description:
      'Exact-match redirect URIs: https (http only on localhost/127.0.0.1), no fragment, no wildcard',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REDIRECT_URIS)
  @ArrayUnique()
  @IsRedirectUriList()
  redirectUris: string[];

  @ApiProperty({
    enum: CLIENT_AUTH_METHODS,
    description: 'Secret methods: the gateway generates the secret and returns it once',
  })
  @IsIn(CLIENT_AUTH_METHODS)
  authMethod: ClientAuthMethod;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'private_key_jwt: the client’s public JWK Set (exclusive with jwksUri)',
  })
  @IsOptionalNotNull()
  @IsPublicJwks()
  jwks?: { keys: Record<string, unknown>[] };

  @ApiPropertyOptional({
    description: 'private_key_jwt: where the client publishes its JWK Set (exclusive with jwks)',
  })
  @IsOptionalNotNull()
  @IsJwksUri()
  jwksUri?: string;

  @ApiPropertyOptional({
    example: '211286433e39cce01db448d80181bdfd005554b19cd51b3fe7943f6b3b86ab6e',
    pattern: FRANCE_CONNECT_CLIENT_ID.source,
    description:
      'Its client_id at FranceConnect: lets it call `GET /api/v1/france-connect/data/{datasetId}` with its users’ ' +
      'FranceConnect access tokens (API FranceConnectée). Unique; absent: not allowed there.',
  })
  @IsOptionalNotNull()
  @Matches(FRANCE_CONNECT_CLIENT_ID, {
    message: 'franceConnectClientId must match ^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$',
  })
  franceConnectClientId?: string;

  @ApiPropertyOptional({ enum: CLIENT_STATUSES, default: 'active' })
  @IsOptionalNotNull()
  @IsIn(CLIENT_STATUSES)
  status?: (typeof CLIENT_STATUSES)[number];
}

/**
 * The authentication method and client id cannot change (register a new client instead).
 * `status: "suspended"` takes effect at once, unexpired access tokens included.
 */
export class UpdateClientDto {
  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsSiret()
  siret?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsEmail()
  @MaxLength(254)
  contactEmail?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REDIRECT_URIS)
  @ArrayUnique()
  @IsRedirectUriList()
  redirectUris?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Replaces jwksUri',
  })
  @IsOptionalNotNull()
  @IsPublicJwks()
  jwks?: { keys: Record<string, unknown>[] };

  @ApiPropertyOptional({ description: 'Replaces jwks' })
  @IsOptionalNotNull()
  @IsJwksUri()
  jwksUri?: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Its client_id at FranceConnect (API FranceConnectée); null removes it',
  })
  @IsOptional()
  @Matches(FRANCE_CONNECT_CLIENT_ID, {
    message: 'franceConnectClientId must match ^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$',
  })
  franceConnectClientId?: string | null;

  @ApiPropertyOptional({ enum: CLIENT_STATUSES })
  @IsOptionalNotNull()
  @IsIn(CLIENT_STATUSES)
  status?: (typeof CLIENT_STATUSES)[number];
}

export class ClientListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CLIENT_STATUSES, description: 'Only clients with this status' })
  @IsOptionalNotNull()
  @IsIn(CLIENT_STATUSES)
  status?: (typeof CLIENT_STATUSES)[number];
}

export class ClientDto {
  @ApiProperty({ format: 'uuid', description: 'Internal id' })
  id: string;

  @ApiProperty({ description: 'OAuth client_id (public); the admin API addresses clients by it' })
  clientId: string;

  @ApiProperty()
  name: string;

  @ApiProperty()
  siret: string;

  @ApiProperty()
  contactEmail: string;

  @ApiProperty({ type: [String] })
  redirectUris: string[];

  @ApiProperty({ enum: CLIENT_AUTH_METHODS })
  authMethod: string;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  jwks: unknown;

  @ApiProperty({ type: String, nullable: true })
  jwksUri: string | null;

  @ApiProperty({ description: 'Whether a secret is set (its hash is never returned)' })
  secretSet: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'Its client_id at FranceConnect' })
  franceConnectClientId: string | null;

  @ApiProperty({ enum: CLIENT_STATUSES })
  status: string;

  @ApiProperty()
  createdAt: Date;

  @ApiProperty()
  updatedAt: Date;
}

export class CreatedClientDto extends ClientDto {
  @ApiPropertyOptional({
    description:
      'Secret methods only: the generated client_secret, shown this once and never again',
  })
  clientSecret?: string;
}

export class ClientSecretDto {
  @ApiProperty()
  clientId: string;

  @ApiProperty({
    description: 'The new client_secret, shown this once; the previous one stops working',
  })
  clientSecret: string;
}

export class ClientPageDto extends PageDto {
  @ApiProperty({ type: [ClientDto] })
  items: ClientDto[];
}
