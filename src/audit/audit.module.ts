import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { TransparencyController } from './transparency.controller.js';
import { TransparencyLogService } from './transparency-log.service.js';

@Global()
@Module({
  controllers: [AuditController, TransparencyController],
  providers: [AuditService, TransparencyLogService],
  exports: [AuditService, TransparencyLogService],
})
export class AuditModule {}
