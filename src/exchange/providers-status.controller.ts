import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/api-problems.decorator.js';
import { ProvidersStatusDto } from './dto/provider-status.dto.js';
import { ProviderHealth } from './provider-health.service.js';

@ApiTags('exchange')
@Controller('api/v1/providers')
export class ProvidersStatusController {
  constructor(private readonly health: ProviderHealth) {}

  // TODO(exchange): guard with "client bearer token OR operator token" once src/oauth and
  // src/registry guards are committed.
  @Get('status')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Circuit state and recent error rate of each data provider',
    description:
      'As this gateway instance sees them: a provider whose circuit is open answers 503 `provider_circuit_open` at once.',
  })
  @ApiOkResponse({ type: ProvidersStatusDto })
  @ApiProblems(401)
  status(): ProvidersStatusDto {
    return {
      generatedAt: new Date().toISOString(),
      scope: 'instance',
      providers: this.health.snapshot().map((p) => ({
        ...p,
        stateSince: p.stateSince.toISOString(),
        lastErrorAt: p.lastErrorAt?.toISOString() ?? null,
      })),
    };
  }
}
