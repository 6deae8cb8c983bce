import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminApi } from './admin-api.decorator.js';
import { AdminAction } from './admin-audit.interceptor.js';
import { ApiProblems } from '../common/index.js';
import { AuditLogRepository } from './audit-log.repository.js';
import { AuditService } from './audit.service.js';
import { AuditPageDto, AuditQueryDto, AuditVerificationDto } from './dto/audit-query.dto.js';

@AdminApi()
@Controller('api/v1/admin/audit')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly log: AuditLogRepository,
  ) {}

  @Get()
  @AdminAction('audit', 'list')
  @ApiOperation({
    summary: 'Browse the audit log, newest first (filters combine)',
    description:
      'Every event the gateway recorded (consent requests, decisions, fetches, previews, admin actions), newest first, 100 per page by default. Filters combine with AND; page with `before` = the previous page’s `nextBefore`.',
  })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems(400)
  async list(@Query() q: AuditQueryDto): Promise<AuditPageDto> {
    const limit = q.limit ?? 100;
    const rows = await this.log.page(
      {
        kind: q.kind,
        clientId: q.clientId,
        citizenId: q.citizenId,
        consentId: q.consentId,
        datasetId: q.datasetId,
        outcome: q.outcome,
        from: q.from,
        to: q.to,
        before: q.before ? BigInt(q.before) : undefined,
      },
      limit + 1,
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        ...r,
        seq: r.seq.toString(),
        occurredAt: r.occurredAt.toISOString(),
      })),
      nextBefore: rows.length > limit ? page[page.length - 1].seq.toString() : null,
    };
  }

  @Post('verify')
  @HttpCode(200)
  @AdminAction('audit', 'verify')
  @ApiOperation({
    summary: 'Recompute the hash chain end to end; reports the first broken link',
    description:
      'Reads every audit event in order and recomputes each hash from the previous one. `valid: false` names the first row that was edited, removed or reordered. Also available offline as `npm run audit:verify`.',
  })
  @ApiOkResponse({ type: AuditVerificationDto })
  async verify(): Promise<AuditVerificationDto> {
    const started = Date.now();
    const result = await this.audit.verify();
    return { ...result, durationMs: Date.now() - started };
  }
}
