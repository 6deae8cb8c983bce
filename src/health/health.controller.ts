import { Controller, Get, Header, Res } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { PrismaService } from '../database/prisma.service.js';
import { DrainService } from './drain.service.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly prisma: PrismaService,
    private readonly metrics: MetricsService,
    private readonly drain: DrainService,
  ) {}

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('health/ready')
  @ApiOperation({
    summary: 'Readiness: the instance is not stopping and the database answers',
  })
  @ApiOkResponse({ description: 'Ready' })
  @ApiServiceUnavailableResponse({ description: 'Not ready' })
  @HealthCheck()
  ready() {
    return this.health.check([
      // A stopping instance says so at once: the load balancer sends its traffic elsewhere.
      () => {
        const indicator = this.indicators.check('instance');
        return this.drain.isDraining ? indicator.down({ draining: true }) : indicator.up();
      },
      async () => {
        const indicator = this.indicators.check('database');
        try {
          await this.prisma.$queryRawUnsafe('SELECT 1');
          return indicator.up({ embedded: this.prisma.embedded });
        } catch {
          return indicator.down();
        }
      },
    ]);
  }

  @Get('metrics')
  @ApiExcludeEndpoint()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    res.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
