import { ApiProperty } from '@nestjs/swagger';
import { FETCH_MODES } from './consent-request.dto.js';

/** The consent artefact as its requesting service reads it. */
export class ConsentDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({
    example: 'caf-demarches',
    description: 'Public client_id of the requesting service',
  })
  clientId: string;

  @ApiProperty({
    example: 'mV4b0Zy2n0x1B2Q4nF8y3C9o8mJkq3lZk3u5S0o2vYk',
    description: 'Pairwise pseudonym of the citizen for this client (never an identity)',
  })
  citizen: string;

  @ApiProperty({ type: [String], example: ['cnaf.quotient_familial'] })
  datasets: string[];

  @ApiProperty()
  purpose: string;

  @ApiProperty({ description: 'Copied from the habilitation at approval' })
  legalBasis: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  validFrom: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ enum: FETCH_MODES })
  fetchMode: string;

  @ApiProperty({ description: 'Successful fetches so far' })
  fetchCount: number;

  @ApiProperty({ enum: ['active', 'revoked', 'expired'], description: 'Judged at read time' })
  status: string;

  @ApiProperty({
    description:
      'Compact JWS (ES256, typ passerelle-consent+jwt) over the artefact as agreed; verify with /.well-known/jwks.json',
  })
  receipt: string;
}
