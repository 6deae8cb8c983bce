import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { HealthModule } from '../health/health.module.js';
import { RefusalAuditService } from './refusal-audit.service.js';
import { TransparencyController } from './transparency.controller.js';
import { TransparencyLogService } from './transparency-log.service.js';

@Global()
@Module({
  imports: [HealthModule],
  controllers: [AuditController, TransparencyController],
  providers: [AuditService, RefusalAuditService, TransparencyLogService],
  exports: [AuditService, RefusalAuditService, TransparencyLogService],
})
export class AuditModule {}
