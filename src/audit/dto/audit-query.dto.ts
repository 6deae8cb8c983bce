import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDate,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

export class AuditQueryDto {
  @ApiPropertyOptional({
    description: 'Exact kind, or a prefix ending with `.` (e.g. `exchange.`)',
    example: 'consent.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9_.]{1,64}$/)
  kind?: string;

  @ApiPropertyOptional({ description: 'Public client_id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  clientId?: string;

  @ApiPropertyOptional({ description: 'Pseudonymous citizen id' })
  @IsOptional()
  @IsUUID()
  citizenId?: string;

  @ApiPropertyOptional({ description: 'Consent id' })
  @IsOptional()
  @IsUUID()
  consentId?: string;

  @ApiPropertyOptional({ description: 'Dataset id', example: 'cnaf.quotient_familial' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  datasetId?: string;

  @ApiPropertyOptional({
    description: 'Outcome: `success`, `refused` or `error`',
    example: 'success',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9_]{1,64}$/)
  outcome?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Events at or after this instant',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Events before this instant',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;

  @ApiPropertyOptional({
    description: 'Return events with a sequence number below this one (next page)',
  })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,19}$/)
  before?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 500,
    default: 100,
    description: 'Events per page',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class AuditEventDto {
  @ApiProperty({ example: '42' }) seq: string;
  @ApiProperty() id: string;
  @ApiProperty() occurredAt: string;
  @ApiProperty({ example: 'exchange.fetch' }) kind: string;
  @ApiProperty({ example: 'client:demo' }) actor: string;
  @ApiProperty({ nullable: true, type: String }) clientId: string | null;
  @ApiProperty({ nullable: true, type: String }) citizenId: string | null;
  @ApiProperty({ nullable: true, type: String }) consentId: string | null;
  @ApiProperty({ nullable: true, type: String }) datasetId: string | null;
  @ApiProperty({ example: 'ok' }) outcome: string;
  @ApiProperty({ nullable: true, type: Number }) httpStatus: number | null;
  @ApiProperty({ nullable: true, type: Number }) durationMs: number | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'Digest of the payload served, never the payload: `hmac-sha256:<hex>` keyed by the gateway (rows before issue 11: bare SHA-256 hex)',
  })
  payloadDigest: string | null;
  @ApiProperty({ nullable: true, type: Object }) details: unknown;
  @ApiProperty() prevHash: string;
  @ApiProperty() hash: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `before` for the next page' })
  nextBefore: string | null;
}

export class AuditBreakDto {
  @ApiProperty() seq: string;
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['hash_mismatch', 'prev_hash_mismatch'] }) reason: string;
}

export class AuditVerificationDto {
  @ApiProperty() ok: boolean;
  @ApiProperty({ description: 'Events checked (up to and including the first broken one)' })
  checked: number;
  @ApiPropertyOptional({ type: AuditBreakDto }) broken?: AuditBreakDto;
  @ApiProperty() durationMs: number;
}
