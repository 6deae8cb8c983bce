import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty } from '@nestjs/swagger';
import { SigningKeyService } from '../signing/index.js';
import { AdminApi, AdminAction } from '../audit/index.js';

export class KeyRotationDto {
  @ApiProperty({ description: 'kid of the new active signing key' })
  kid: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'kid of the previous key, now retiring: still in the JWKS, still verifies',
  })
  previousKid: string | null;
}

@AdminApi()
@Controller('api/v1/admin/keys')
export class KeysController {
  constructor(private readonly keys: SigningKeyService) {}

  @Post('rotate')
  @HttpCode(200)
  @AdminAction('signing_key', 'rotate')
  @ApiOperation({
    summary: 'Rotate the gateway signing key',
    description:
      'A new ES256 key signs from now on; tokens and receipts signed by the previous one stay valid (it stays published in the JWKS).',
  })
  @ApiOkResponse({ type: KeyRotationDto })
  rotate(): Promise<KeyRotationDto> {
    return this.keys.rotate();
  }
}
