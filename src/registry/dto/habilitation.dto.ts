import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { PageDto, PageQueryDto } from '../pagination.js';
import { IsOptionalNotNull, IsHttpsReference } from '../validators.js';
import { CLIENT_ID } from './client.dto.js';
import { DATASET_ID } from './dataset.dto.js';

export const HABILITATION_STATUSES = ['active', 'revoked'] as const;
export const MAX_HABILITATION_DAYS = 3650;
const MAX_INTERVAL_SECONDS = 366 * 24 * 3600;

export class CreateHabilitationDto {
  @ApiProperty({ example: 'mairie-de-lyon-cantine', description: 'The client’s OAuth client_id' })
  @Matches(CLIENT_ID, { message: 'clientId must be an existing client_id' })
  clientId: string;

  @ApiProperty({ type: [String], example: ['cnaf.quotient_familial'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Matches(DATASET_ID, { each: true, message: 'each of datasets must be a dataset id' })
  datasets: string[];

  @ApiProperty({ example: 'Calcul du tarif de la cantine scolaire selon le quotient familial' })
  @IsString()
  @Matches(/\S/, { message: 'purpose must not be blank' })
  @MaxLength(1000)
  purpose: string;

  @ApiProperty({
    example: 'Délibération du conseil municipal n° 2024-123 ; article L. 114-8 du CRPA',
  })
  @IsString()
  @Matches(/\S/, { message: 'legalBasis must not be blank' })
  @MaxLength(1000)
  legalBasis: string;

  @ApiPropertyOptional({
    example: 'https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000031367412',
  })
  @IsOptionalNotNull()
  @IsHttpsReference()
  legalBasisUrl?: string;

  @ApiProperty({
    minimum: 1,
    maximum: MAX_HABILITATION_DAYS,
    description: 'Longest consent allowed, in days',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_HABILITATION_DAYS)
  maxDurationDays: number;

  @ApiPropertyOptional({
    default: false,
    description: 'Whether consents may allow repeated (periodic) fetches',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  allowPeriodic?: boolean;

  @ApiPropertyOptional({
    minimum: 0,
    default: 0,
    description: 'Minimum seconds between two fetches of a dataset (periodic)',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(MAX_INTERVAL_SECONDS)
  minFetchIntervalSeconds?: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'Default: now' })
  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  validFrom?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Default: no end' })
  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  validTo?: string;
}

/** `status: "revoked"` is final: a revoked habilitation refuses every later change. */
export class UpdateHabilitationDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Matches(DATASET_ID, { each: true, message: 'each of datasets must be a dataset id' })
  datasets?: string[];

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Matches(/\S/, { message: 'purpose must not be blank' })
  @MaxLength(1000)
  purpose?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Matches(/\S/, { message: 'legalBasis must not be blank' })
  @MaxLength(1000)
  legalBasis?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'null removes it' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsHttpsReference()
  legalBasisUrl?: string | null;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_HABILITATION_DAYS })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(MAX_HABILITATION_DAYS)
  maxDurationDays?: number;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean()
  allowPeriodic?: boolean;

  @ApiPropertyOptional({ minimum: 0 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(MAX_INTERVAL_SECONDS)
  minFetchIntervalSeconds?: number;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  validFrom?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'null: no end',
  })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsISO8601({ strict: true })
  validTo?: string | null;

  @ApiPropertyOptional({ enum: HABILITATION_STATUSES })
  @IsOptionalNotNull()
  @IsIn(HABILITATION_STATUSES)
  status?: (typeof HABILITATION_STATUSES)[number];
}

export class HabilitationListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: HABILITATION_STATUSES,
    description: 'Only habilitations with this status',
  })
  @IsOptionalNotNull()
  @IsIn(HABILITATION_STATUSES)
  status?: (typeof HABILITATION_STATUSES)[number];

  @ApiPropertyOptional({ description: 'Only this client’s habilitations (OAuth client_id)' })
  @IsOptionalNotNull()
  @Matches(CLIENT_ID, { message: 'clientId must be a client_id' })
  clientId?: string;
}

export class HabilitationDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'The client’s OAuth client_id' })
  clientId: string;

  @ApiProperty({ type: [String] })
  datasets: string[];

  @ApiProperty()
  purpose: string;

  @ApiProperty()
  legalBasis: string;

  @ApiProperty({ type: String, nullable: true })
  legalBasisUrl: string | null;

  @ApiProperty()
  maxDurationDays: number;

  @ApiProperty()
  allowPeriodic: boolean;

  @ApiProperty()
  minFetchIntervalSeconds: number;

  @ApiProperty()
  validFrom: Date;

  @ApiProperty({ type: Date, nullable: true })
  validTo: Date | null;

  @ApiProperty({ enum: HABILITATION_STATUSES })
  status: string;

  @ApiProperty()
  createdAt: Date;

  @ApiProperty()
  updatedAt: Date;
}

export class HabilitationPageDto extends PageDto {
  @ApiProperty({ type: [HabilitationDto] })
  items: HabilitationDto[];
}
