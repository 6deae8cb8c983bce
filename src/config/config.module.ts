import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from './app-config.js';

/**
 * The validated `AppConfig`, one object for the whole application under `APP_CONFIG`: services
 * inject it typed (`@Inject(APP_CONFIG) config: AppConfig`) and never read `process.env` (the
 * lint refuses it outside main.ts).
 *
 * Why not @nestjs/config: the settings are read and checked by `loadConfig` before Nest starts
 * (main.ts needs the port, the mode and the database to build the application at all; tests and
 * scripts build configurations directly, several gateways to a process), and they must fail as one
 * line naming the setting. @nestjs/config was registered here with env files and env variables
 * both ignored, its `ConfigService` injected nowhere: a second, untyped copy of the same object.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
