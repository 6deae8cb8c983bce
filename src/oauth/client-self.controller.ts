import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOAuth2, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/index.js';
import type { AuthenticatedClient } from './access-token.service.js';
import { ClientAuthGuard, CurrentClient } from './client-auth.guard.js';
import { ClientMeDto } from './dto/client-me.dto.js';

@ApiTags('clients')
@Controller('api/v1/clients')
export class ClientSelfController {
  @Get('me')
  @UseGuards(ClientAuthGuard)
  @ApiOAuth2([], 'client')
  @ApiOperation({
    summary: 'The requesting service the access token belongs to',
    description: 'Lets an integrator check its credentials and the datasets its token covers.',
  })
  @ApiOkResponse({ type: ClientMeDto })
  @ApiProblems(401)
  me(@CurrentClient() client: AuthenticatedClient): ClientMeDto {
    return {
      client_id: client.clientId,
      name: client.name,
      siret: client.siret,
      status: client.status,
      scopes: client.scopes,
    };
  }
}
