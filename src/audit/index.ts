/** The audit module's public surface: the hash-chained audit log, refusal summaries, the operator API's door (@AdminApi) and the canonical JSON every signature and digest uses. */
export { AuditModule } from './audit.module.js';
export {
  AccessEventsRepository,
  type AccessEventRow,
  type AccessKinds,
} from './access-events.repository.js';
export { type AuditInput, AuditService, type RecordedEvent } from './audit.service.js';
export { keyedPayloadDigest } from './payload-digest.js';
export { canonicalJson } from './canonical-json.js';
export { RefusalAuditService } from './refusal-audit.service.js';
export { AdminApi } from './admin-api.decorator.js';
export { AdminAction, AdminAuditInterceptor } from './admin-audit.interceptor.js';
export { BOOTSTRAP_OPERATOR, OperatorGuard } from './operator.guard.js';
export { type LeafEvent } from './audit-leaf.js';
export {
  type ProofBundle,
  TransparencyLogError,
  TransparencyLogService,
} from './transparency-log.service.js';
export {
  AuditOutcomes,
  errorOutcome,
  readOutcome,
  type AuditOutcome,
  type AuditResult,
} from './audit-outcome.js';
