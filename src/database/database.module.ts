import { Global, Module } from '@nestjs/common';
import { DatabaseProbe } from './database-probe.js';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/index.js';
import { PrismaService } from './prisma.service.js';

@Global()
@Module({
  providers: [
    DatabaseProbe,
    {
      provide: PrismaService,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        PrismaService.open(config, join(process.cwd(), 'prisma', 'migrations')),
    },
  ],
  exports: [PrismaService, DatabaseProbe],
})
export class DatabaseModule {}
