import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';
import { DATASET_ID, urlProblem } from '../../registry/index.js';
import type { FetchMode } from '../consent.contract.js';

export const FETCH_MODES = ['once', 'periodic'] as const;
export const MAX_DATASETS_PER_REQUEST = 20;
/** Upper bound before any habilitation is read (the registry caps habilitations at 3650 days). */
export const MAX_DURATION_DAYS = 3650;
/** OAuth's VSCHAR (RFC 6749 Appendix A.5): printable ASCII, what survives any redirect intact. */
const STATE = /^[\x20-\x7E]{1,512}$/;
/** No control characters: the purpose is shown to the citizen and written in the receipt. */
const NO_CONTROL = /^[^\p{Cc}]*$/u;

/** Where notifications go: https, or http on localhost only (a developer's machine). */
const IsNotificationUrl = () =>
  ValidateBy({
    name: 'isNotificationUrl',
    validator: {
      validate: (value) =>
        urlProblem(value, 'notificationUrl', { http: 'loopback', query: true }) === null,
      defaultMessage: (args) =>
        urlProblem(args?.value, 'notificationUrl', { http: 'loopback', query: true }) ??
        'notificationUrl is invalid',
    },
  });

export class CreateConsentRequestDto {
  @ApiProperty({
    type: [String],
    example: ['cnaf.quotient_familial'],
    description: `1 to ${MAX_DATASETS_PER_REQUEST} distinct dataset ids, all covered by ONE active habilitation of the client`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_DATASETS_PER_REQUEST)
  @ArrayUnique()
  @Matches(DATASET_ID, { each: true, message: 'each of datasets must be a dataset id' })
  datasets: string[];

  @ApiProperty({
    minLength: 3,
    maxLength: 500,
    example: 'Calcul du tarif de la cantine scolaire de votre enfant',
    description: 'Why the data is needed, shown to the citizen and written in the receipt',
  })
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  @Matches(/\S/, { message: 'purpose must not be blank' })
  @Matches(NO_CONTROL, { message: 'purpose must not contain control characters' })
  purpose: string;

  @ApiProperty({
    minimum: 1,
    maximum: MAX_DURATION_DAYS,
    example: 90,
    description: 'Consent lifetime in days; at most the habilitation’s maxDurationDays (else 400)',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_DURATION_DAYS)
  durationDays: number;

  @ApiProperty({
    example: 'https://demarches.ville.fr/passerelle/retour',
    description: 'Exactly one of the client’s registered redirect URIs',
  })
  @IsString()
  @MaxLength(2048)
  redirectUri: string;

  @ApiPropertyOptional({
    maxLength: 512,
    example: 'af0ifjsldkj',
    description: 'Opaque value given back on the redirect (printable ASCII)',
  })
  @IsOptional()
  @IsString()
  @Matches(STATE, { message: 'state must be 1 to 512 printable ASCII characters' })
  state?: string;

  @ApiPropertyOptional({ enum: FETCH_MODES, default: 'once' })
  @IsOptional()
  @IsIn(FETCH_MODES)
  fetchMode?: FetchMode;

  @ApiPropertyOptional({
    example: 'https://demarches.ville.fr/passerelle/evenements',
    description:
      'Receives signed POSTs when the request is approved, refused or expires and when the consent is revoked or expires (https; http only on localhost)',
  })
  @IsOptional()
  @IsString()
  @IsNotificationUrl()
  notificationUrl?: string;
}

export class ConsentRequestCreatedDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['pending', 'approved', 'denied', 'expired'], example: 'pending' })
  status: string;

  @ApiProperty({
    example: 'https://passerelle.example.gouv.fr/consent/4b0c…',
    description: 'Where to send the citizen’s browser',
  })
  consentUrl: string;

  @ApiProperty({ format: 'date-time', description: 'The citizen must decide before this' })
  expiresAt: string;
}

export class ConsentRequestStatusDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['pending', 'approved', 'denied', 'expired'] })
  status: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Once approved' })
  consentId?: string;

  @ApiProperty({ format: 'date-time', description: 'When the request stops being decidable' })
  expiresAt: string;
}
