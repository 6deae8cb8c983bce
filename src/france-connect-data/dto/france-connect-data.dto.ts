import { ApiProperty } from '@nestjs/swagger';

/** Where the data comes from, and that it was read with a FranceConnect access token. */
export class FranceConnectDataProvenanceDto {
  @ApiProperty({ example: 'cnaf', description: 'Id of the data provider that answered' })
  provider: string;

  @ApiProperty({ example: 'cnaf.quotient_familial', description: 'Dataset id' })
  dataset: string;

  @ApiProperty({
    example: '2026-12-01T09:12:44.512Z',
    description: 'When the provider answered (ISO 8601, UTC)',
  })
  fetchedAt: string;

  @ApiProperty({
    enum: ['franceconnect'],
    description: 'Read with the citizen’s FranceConnect access token (API FranceConnectée)',
  })
  via: 'franceconnect';

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
 * The answer of the API FranceConnectée: the provider's data, validated against the dataset's
 * JSON Schema and reduced to its declared fields (the audit log keeps only its HMAC-SHA-256
 * digest, keyed by the gateway).
 */
export class FranceConnectDataResponseDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { quotient_familial: { valeur: 1234, annee: 2026, mois: 9 } },
  })
  data: unknown;

  @ApiProperty({ type: FranceConnectDataProvenanceDto })
  provenance: FranceConnectDataProvenanceDto;
}
