import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import {
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
} from 'class-validator';
import { PageDto, PageQueryDto } from '../pagination.js';
import {
  IsOptionalNotNull,
  IsFieldDescriptions,
  IsIdentityParams,
  IsResponseSchema,
} from '../validators.js';
import { PROVIDER_ID } from './provider.dto.js';

export const DATASET_ID = /^[a-z][a-z0-9_]{1,31}\.[a-z][a-z0-9_]{1,63}$/;
export const DATASET_STATUSES = ['active', 'disabled'] as const;

/**
 * Appended to the provider's base URL: an absolute path of plain characters. No scheme or
 * authority (the base URL alone says where requests go), no `..` or `//` segments, no query,
 * fragment or percent-escape (which could hide either).
 */
const DATASET_PATH = /^\/(?!\/)[A-Za-z0-9._~\-/]*$/;

const IsDatasetIdOfProvider = () =>
  ValidateBy({
    name: 'isDatasetIdOfProvider',
    validator: {
      validate: (value, args) => {
        const providerId = (args?.object as { providerId?: unknown }).providerId;
        return (
          typeof value === 'string' &&
          DATASET_ID.test(value) &&
          typeof providerId === 'string' &&
          value.startsWith(`${providerId}.`)
        );
      },
      defaultMessage: () =>
        'id must be "<providerId>.<name>", name matching ^[a-z][a-z0-9_]{1,63}$',
    },
  });

/** A FranceConnect data scope, as FranceConnect names them (`cnaf_quotient_familial`). */
export const FRANCE_CONNECT_SCOPE = /^[a-z][a-z0-9_]{1,63}$/;

export class CreateDatasetDto {
  // A real pattern (not a placeholder): generated clients check it. That the prefix is this
  // dataset's own providerId is said in words and checked by the validator.
  @ApiProperty({
    example: 'cnaf.quotient_familial',
    pattern: '^[a-z][a-z0-9_]{1,31}\\.[a-z][a-z0-9_]{1,63}$',
    description: '`<providerId>.<name>`: starts with this dataset’s `providerId` and a dot',
  })
  @IsDatasetIdOfProvider()
  id: string;

  @ApiProperty({ example: 'cnaf', description: 'An existing provider' })
  @Matches(PROVIDER_ID, { message: 'providerId must match ^[a-z][a-z0-9_]{1,31}$' })
  providerId: string;

  @ApiProperty({ example: '/v3/dss/quotient_familial/identite' })
  @IsString()
  @MaxLength(500)
  @Matches(DATASET_PATH, {
    message: 'path must be an absolute path of plain characters ([A-Za-z0-9._~-/])',
  })
  @Matches(/^(?!.*(^|\/)\.\.?(\/|$))(?!.*\/\/)/, {
    message: 'path must not contain "." or ".." segments or "//"',
  })
  path: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { family_name: 'nomNaissance', given_name: 'prenoms', birthdate: 'dateNaissance' },
    description:
      'Identity-pivot claim (family_name, given_name, birthdate, gender, birthplace, birthcountry) → query parameter name',
  })
  @IsIdentityParams()
  identityParams: Record<string, string>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'JSON Schema (draft 2020-12 by default, or draft-07 via $schema) of the provider’s 200 answer',
  })
  @IsObject()
  @IsResponseSchema()
  responseSchema: Record<string, unknown>;

  @ApiProperty({
    example: 'Quotient familial CAF & MSA',
    description: 'French title shown to citizens',
  })
  @IsString()
  @Matches(/\S/, { message: 'title must not be blank' })
  @MaxLength(200)
  title: string;

  @ApiPropertyOptional({ description: 'French description shown to citizens', default: '' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'quotient_familial.valeur': 'Montant du quotient familial (en euros)' },
    description: 'Dotted field path → French description shown to citizens',
  })
  @IsOptionalNotNull()
  @IsFieldDescriptions()
  fields?: Record<string, string>;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'cnaf_quotient_familial',
    pattern: FRANCE_CONNECT_SCOPE.source,
    description:
      'The FranceConnect data scope granting this dataset on `GET /api/v1/france-connect/data/{datasetId}` ' +
      '(API FranceConnectée). Unique; absent or null: not served that way.',
  })
  @IsOptional()
  @Matches(FRANCE_CONNECT_SCOPE, {
    message: 'franceConnectScope must match ^[a-z][a-z0-9_]{1,63}$',
  })
  franceConnectScope?: string | null;

  @ApiPropertyOptional({ enum: DATASET_STATUSES, default: 'active' })
  @IsOptionalNotNull()
  @IsIn(DATASET_STATUSES)
  status?: (typeof DATASET_STATUSES)[number];
}

export class UpdateDatasetDto extends PartialType(
  OmitType(CreateDatasetDto, ['id', 'providerId'] as const),
  { skipNullProperties: false },
) {}

export class DatasetListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DATASET_STATUSES, description: 'Only datasets with this status' })
  @IsOptionalNotNull()
  @IsIn(DATASET_STATUSES)
  status?: (typeof DATASET_STATUSES)[number];

  @ApiPropertyOptional({ example: 'cnaf', description: 'Only this provider’s datasets' })
  @IsOptionalNotNull()
  @Matches(PROVIDER_ID, { message: 'providerId must match ^[a-z][a-z0-9_]{1,31}$' })
  providerId?: string;
}

export class DatasetDto {
  @ApiProperty({ example: 'cnaf.quotient_familial' })
  id: string;

  @ApiProperty({ example: 'cnaf' })
  providerId: string;

  @ApiProperty()
  path: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  identityParams: Record<string, string>;

  @ApiProperty({ type: 'object', additionalProperties: true })
  responseSchema: Record<string, unknown>;

  @ApiProperty()
  title: string;

  @ApiProperty()
  description: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  fields: Record<string, string>;

  @ApiProperty({ type: String, nullable: true, example: 'cnaf_quotient_familial' })
  franceConnectScope: string | null;

  @ApiProperty({ enum: DATASET_STATUSES })
  status: string;

  @ApiProperty()
  createdAt: Date;

  @ApiProperty()
  updatedAt: Date;
}

export class DatasetPageDto extends PageDto {
  @ApiProperty({ type: [DatasetDto] })
  items: DatasetDto[];
}
