import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { HealthModule } from '../health/health.module.js';
import { RefusalAuditService } from './refusal-audit.service.js';

@Global()
@Module({
  imports: [HealthModule],
  controllers: [AuditController],
  providers: [AuditService, RefusalAuditService],
  exports: [AuditService, RefusalAuditService],
})
export class AuditModule {}
