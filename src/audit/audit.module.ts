import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AccessEventsRepository } from './access-events.repository.js';
import { AuditChainRepository } from './audit-chain.repository.js';
import { AuditLogRepository } from './audit-log.repository.js';
import { TransparencyLogRepository } from './transparency-log.repository.js';
import { AuditService } from './audit.service.js';
import { HealthModule } from '../health/index.js';
import { RefusalAuditService } from './refusal-audit.service.js';
import { AdminAuditInterceptor } from './admin-audit.interceptor.js';
import { OperatorGuard } from './operator.guard.js';
import { TransparencyController } from './transparency.controller.js';
import { TransparencyLogService } from './transparency-log.service.js';

/**
 * The hash-chained audit log (AuditService), refusal summaries, and the operator API's door:
 * `@AdminApi()` (OperatorGuard + AdminAuditInterceptor) that every `/api/v1/admin/*`
 * controller wears, so that no operator call escapes the log. Global: every module audits.
 */
@Global()
@Module({
  imports: [HealthModule],
  controllers: [AuditController, TransparencyController],
  providers: [
    AccessEventsRepository,
    AuditChainRepository,
    AuditLogRepository,
    TransparencyLogRepository,
    AuditService,
    RefusalAuditService,
    TransparencyLogService,
    OperatorGuard,
    AdminAuditInterceptor,
  ],
  exports: [
    AccessEventsRepository,
    AuditService,
    RefusalAuditService,
    TransparencyLogService,
    OperatorGuard,
    AdminAuditInterceptor,
  ],
})
export class AuditModule {}
