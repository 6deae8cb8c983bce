import { Controller, Get, Header, Res } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import type { Response } from 'express';
import { DatabaseProbe } from '../database/index.js';
import { InvalidationBus } from '../events/index.js';
import { DrainService } from './drain.service.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseProbe,
    private readonly metrics: MetricsService,
    private readonly drain: DrainService,
    private readonly bus: InvalidationBus,
  ) {}

  @Get('health/live')
  @ApiOperation({
    summary: 'Liveness: the process answers',
    description:
      'Answers 200 as long as the process runs; checks nothing else. For a container’s liveness probe. Never rate-limited.',
  })
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('health/ready')
  @ApiOperation({
    summary: 'Readiness: the instance is not stopping and the database answers',
    description:
      'Answers `{status, info, error, details}` (the shape of @nestjs/terminus): 200 when the ' +
      'instance can serve, 503 when it is stopping (`instance.draining`) or its database does ' +
      'not answer. Redis is reported (`redis.status` `up` or `degraded`, top-level status ' +
      '`degraded`) but does not fail readiness: sessions, revocation and invalidations go on ' +
      'through PostgreSQL without it.',
  })
  @ApiOkResponse({ description: 'Ready' })
  @ApiServiceUnavailableResponse({ description: 'Not ready' })
  @Header('Cache-Control', 'no-store')
  async ready(@Res() res: Response): Promise<void> {
    const checks: Record<string, { status: 'up' | 'down' | 'degraded'; [key: string]: unknown }> =
      {};
    // A stopping instance says so at once: the load balancer sends its traffic elsewhere.
    checks.instance = this.drain.isDraining ? { status: 'down', draining: true } : { status: 'up' };
    const database = await this.database.check();
    checks.database = database.up
      ? { status: 'up', embedded: database.embedded }
      : { status: 'down' };
    const redis = this.bus.redisState();
    if (redis) {
      checks.redis =
        redis === 'up'
          ? { status: 'up' }
          : {
              status: 'degraded',
              detail:
                'Redis unreachable: sessions in PostgreSQL, invalidations through LISTEN/NOTIFY, ' +
                'rate limits counted per instance.',
            };
    }
    const pick = (want: (status: string) => boolean) =>
      Object.fromEntries(Object.entries(checks).filter(([, c]) => want(c.status)));
    const down = pick((status) => status === 'down');
    const ok = Object.keys(down).length === 0;
    const degraded = Object.values(checks).some((c) => c.status === 'degraded');
    if (this.drain.isDraining) res.setHeader('Connection', 'close');
    res.status(ok ? 200 : 503).json({
      status: ok ? (degraded ? 'degraded' : 'ok') : 'error',
      info: pick((status) => status !== 'down'),
      error: down,
      details: checks,
    });
  }

  @Get('metrics')
  @ApiExcludeEndpoint()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    res.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
