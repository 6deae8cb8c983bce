import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ValidationPipe } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { AuditModule } from './audit/audit.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentityModule } from './identity/identity.module.js';
import { RegistryModule } from './registry/registry.module.js';
import { ExchangeModule } from './exchange/exchange.module.js';
import { OAuthModule } from './oauth/oauth.module.js';
import { CitizenModule } from './citizen/citizen.module.js';
import { ConsentModule } from './consent/consent.module.js';
import { EventsModule } from './events/events.module.js';
import { RateLimitModule } from './ratelimit/rate-limit.module.js';
import { FranceConnectDataModule } from './france-connect-data/index.js';
import { type Problem, PROBLEM_HTML_PAGE, ProblemFilter } from './common/problem.filter.js';
import { errorPage } from './citizen/pages/error.page.js';
import { loggerParams } from './common/logging.js';
import { VALIDATION_OPTIONS } from './common/problem.js';

export interface AppModuleOptions {
  config: AppConfig;
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot({ config, logDestination }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config, logDestination)),
        DatabaseModule,
        AuditModule,
        HealthModule,
        IdentityModule,
        RegistryModule,
        ExchangeModule,
        OAuthModule,
        CitizenModule,
        ConsentModule,
        EventsModule,
        RateLimitModule,
        FranceConnectDataModule.forRoot(config.franceConnectData !== null),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        // A person's browser on a wrong URL gets the French error page, not problem+json.
        {
          provide: PROBLEM_HTML_PAGE,
          useValue: (p: Problem) =>
            errorPage({ status: p.status, code: p.code, requestId: p.requestId, loggedIn: false }),
        },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe(VALIDATION_OPTIONS),
        },
      ],
    };
  }
}
