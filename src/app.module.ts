import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig, AppConfigModule, loggerParams } from './config/index.js';
import { DatabaseModule } from './database/index.js';
import { AuditModule } from './audit/index.js';
import { HealthModule } from './health/index.js';
import { IdentityModule } from './identity/index.js';
import { RegistryModule } from './registry/index.js';
import { ExchangeModule } from './exchange/index.js';
import { OAuthModule } from './oauth/index.js';
import { SigningModule } from './signing/index.js';
import { CitizenModule, errorPage } from './citizen/index.js';
import { ConsentModule } from './consent/index.js';
import { EventsModule } from './events/index.js';
import { RateLimitModule } from './ratelimit/index.js';
import { FranceConnectDataModule } from './france-connect-data/index.js';
import {
  type Problem,
  PROBLEM_HTML_PAGE,
  ProblemFilter,
  VALIDATION_OPTIONS,
} from './common/index.js';

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
        SigningModule,
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
