import type { LeafEvent } from '../../audit/index.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ACCESS_PAGE_SIZE, MAX_ACCESS_PAGE_SIZE } from '../access-log.service.js';

export class CsrfTokenDto {
  @ApiProperty({
    description: 'Send it back as the `X-CSRF-Token` header on state-changing calls',
    example: 'kq1Yc4m8Jb0N2pTzQ0v9cX6c1d0s2r3e4f5g6h7i8j9',
  })
  csrfToken: string;
}

export class ConsentClientDto {
  @ApiProperty({ example: 'Ville de Démo — restauration scolaire' }) name: string;
  @ApiProperty({ example: '21690123100011' }) siret: string;
}

export class ConsentDatasetDto {
  @ApiProperty({ example: 'cnaf.quotient_familial' }) id: string;
  @ApiProperty({ example: 'Quotient familial CAF & MSA' }) title: string;
  @ApiProperty({ example: 'Caisse nationale des allocations familiales (CNAF)' })
  providerName: string;
}

export class CitizenConsentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: ConsentClientDto }) client: ConsentClientDto;
  @ApiProperty({ type: [ConsentDatasetDto] }) datasets: ConsentDatasetDto[];
  @ApiProperty() purpose: string;
  @ApiProperty() legalBasis: string;
  @ApiProperty({ enum: ['once', 'periodic'] }) fetchMode: 'once' | 'periodic';
  @ApiProperty({ example: 0 }) fetchCount: number;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt: string;
  @ApiProperty({ enum: ['active', 'revoked', 'expired'] }) status: 'active' | 'revoked' | 'expired';
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt: string | null;
}

export class CitizenConsentListDto {
  @ApiProperty({ type: [CitizenConsentDto] }) items: CitizenConsentDto[];
}

export class AccessDto {
  @ApiProperty({ format: 'uuid', description: 'Audit event id' }) id: string;
  @ApiProperty({ type: String, format: 'date-time' }) occurredAt: string;
  @ApiProperty({ enum: ['fetch', 'preview'] }) kind: 'fetch' | 'preview';
  @ApiProperty({ type: String, nullable: true, description: 'Public client_id of the service' })
  clientId: string | null;
  @ApiProperty({ example: 'Ville de Démo — restauration scolaire' }) serviceName: string;
  @ApiProperty({ type: String, nullable: true, example: 'cnaf.quotient_familial' })
  datasetId: string | null;
  @ApiProperty({ example: 'Quotient familial CAF & MSA' }) datasetTitle: string;
  @ApiProperty({ type: String, nullable: true }) purpose: string | null;
  @ApiProperty({ enum: ['transmitted', 'previewed', 'refused', 'failed'] })
  outcome: 'transmitted' | 'previewed' | 'refused' | 'failed';
  @ApiProperty({ example: 'refusé : consentement révoqué', description: 'In French, for people' })
  outcomeText: string;
  @ApiProperty({ type: String, nullable: true, example: 'consent_revoked' }) code: string | null;
  @ApiProperty({
    description: 'Read with the citizen’s FranceConnect access token (API FranceConnectée)',
  })
  viaFranceConnect: boolean;
  @ApiProperty({
    type: [String],
    example: ['openid', 'identite_pivot', 'cnaf_quotient_familial'],
    description: 'Via FranceConnect: the scopes the citizen agreed to at FranceConnect',
  })
  scopes: string[];
  @ApiProperty({
    example: '/api/v1/me/accesses/3f0c…/proof',
    description:
      'Download of this access’s proof bundle (event, inclusion proof, signed checkpoint)',
  })
  proofUrl: string;
}

export class ProofBundleDto {
  @ApiProperty({ example: 'passerelle-audit-proof/1' }) format: 'passerelle-audit-proof/1';
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The audit event' })
  event: LeafEvent;
  @ApiProperty() leafIndex: number;
  @ApiProperty({ description: 'SHA-256(0x00 ‖ canonical event), hex' }) leafHash: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{treeSize, hashes}' })
  inclusionProof: { treeSize: number; hashes: string[] };
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Signed checkpoint' })
  checkpoint: { treeSize: number; rootHash: string; issuedAt: string; jws: string };
  @ApiProperty({ example: 'http://localhost:3000/.well-known/jwks.json' }) jwksUri: string;
}

export class AccessPageDto {
  @ApiProperty({ type: [AccessDto] }) items: AccessDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `before` for the next (older) page; null on the last page',
  })
  nextCursor: string | null;
}

export class AccessQueryDto {
  @ApiPropertyOptional({ description: 'Cursor from a previous page’s `nextCursor`' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,19}$/, { message: 'before must be a cursor given by this API' })
  before?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_ACCESS_PAGE_SIZE,
    default: ACCESS_PAGE_SIZE,
    description: 'Accesses per page',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_ACCESS_PAGE_SIZE)
  limit?: number;
}
