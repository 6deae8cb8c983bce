import { ApiProperty } from '@nestjs/swagger';

/** What a requesting service may read about itself. */
export class ClientMeDto {
  @ApiProperty({ example: 'caf-demarches' })
  client_id: string;

  @ApiProperty({ example: 'Caisse d’allocations familiales — démarches en ligne' })
  name: string;

  @ApiProperty({ example: '53445932200024' })
  siret: string;

  @ApiProperty({ enum: ['active', 'suspended'] })
  status: string;

  @ApiProperty({
    type: [String],
    description: 'Dataset ids granted to the access token used for this call',
    example: ['cnaf.quotient_familial'],
  })
  scopes: string[];
}
