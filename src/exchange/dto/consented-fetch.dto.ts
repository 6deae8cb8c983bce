import { ApiProperty } from '@nestjs/swagger';

/** Where the data comes from and under which consent it was fetched. */
export class ConsentedFetchProvenanceDto {
  @ApiProperty({ example: 'cnaf', description: 'Id of the data provider that answered' })
  provider: string;

  @ApiProperty({ example: 'cnaf.quotient_familial', description: 'Dataset id' })
  dataset: string;

  @ApiProperty({
    example: '2025-10-14T09:12:44.512Z',
    description: 'When the provider answered (ISO 8601, UTC)',
  })
  fetchedAt: string;

  @ApiProperty({ example: '5b0e7f7e-0c55-4a35-9f6e-2f3c1d9a7b10', format: 'uuid' })
  consentId: string;

  @ApiProperty({
    example: '0b6f0a8e-5b8b-4a53-8a3e-0e4f8e2f1f7a',
    description: 'Request id (also `X-Request-Id`), as recorded in the audit log',
  })
  requestId: string;

  @ApiProperty({
    format: 'uuid',
    description:
      'Id of the audit event recording this access: its inclusion proof is at GET /api/v1/audit/proof/inclusion?eventId=',
  })
  auditEventId: string;

  @ApiProperty({
    example: '5f1c…',
    description: 'RFC 9162 leaf hash of that audit event (hex): SHA-256(0x00 ‖ canonical event)',
  })
  auditLeafHash: string;
}

/**
 * The answer of a consented fetch. `data` is the provider's answer, validated against the
 * dataset's JSON Schema and reduced to the fields the citizen was shown; nothing of it is kept
 * by the gateway (the audit log holds only its HMAC-SHA-256 digest, keyed by the gateway).
 */
export class ConsentedFetchResponseDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The dataset, shaped by its JSON Schema (see the dataset in the registry)',
    example: { quotient_familial: { valeur: 1234, annee: 2025, mois: 9 } },
  })
  data: unknown;

  @ApiProperty({ type: ConsentedFetchProvenanceDto })
  provenance: ConsentedFetchProvenanceDto;
}
