/** The audit module's public surface: the hash-chained audit log, refusal summaries, the operator API's door (@AdminApi) and the canonical JSON every signature and digest uses. */
export { AuditModule } from './audit.module.js';
export { type AuditInput, AuditService } from './audit.service.js';
export { canonicalJson } from './canonical-json.js';
export { RefusalAuditService } from './refusal-audit.service.js';
export { AdminApi } from './admin-api.decorator.js';
export { AdminAction, AdminAuditInterceptor } from './admin-audit.interceptor.js';
export { BOOTSTRAP_OPERATOR, OperatorGuard } from './operator.guard.js';
