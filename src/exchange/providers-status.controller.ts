import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOAuth2, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/index.js';
import { ClientOrOperatorGuard } from './client-or-operator.guard.js';
import { ProvidersStatusDto } from './dto/provider-status.dto.js';
import { ProviderStatusService } from './provider-status.service.js';

@ApiTags('exchange')
@Controller('api/v1/providers')
export class ProvidersStatusController {
  constructor(private readonly statusService: ProviderStatusService) {}

  @Get('status')
  @UseGuards(ClientOrOperatorGuard)
  @ApiOAuth2([], 'client')
  @ApiBearerAuth('operator')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Circuit state and recent error rate of each data provider',
    description:
      'For requesting services (access token) and operators (operator token), as this gateway instance sees the providers: a provider whose circuit is open answers 503 `provider_circuit_open` at once.',
  })
  @ApiOkResponse({ type: ProvidersStatusDto })
  @ApiProblems(401)
  status(): Promise<ProvidersStatusDto> {
    return this.statusService.report();
  }
}
