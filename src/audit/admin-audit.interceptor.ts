import {
  CallHandler,
  ExecutionContext,
  HttpException,
  Injectable,
  NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { AuditOutcomes, type AuditOutcome } from './audit-outcome.js';
import { AuditService } from './audit.service.js';
import { ApiError } from '../common/index.js';
import { BOOTSTRAP_OPERATOR } from './operator.guard.js';

const ADMIN_ACTION = 'passerelle:admin-action';

/** `provider`, `dataset`, `client`, `habilitation`, `signing_key`… (snake_case). */
export type AdminResource = string;

/** Names the audit event of an operator endpoint: kind `admin.<resource>.<action>`. */
export const AdminAction = (resource: AdminResource, action: string) =>
  SetMetadata(ADMIN_ACTION, { resource, action });

/**
 * Every operator call that passed the OperatorGuard leaves one audit row, success or failure
 * (validation refusals included), before the answer leaves: who (the operator), what (kind and
 * the ids involved), when, outcome and HTTP status. Never a request body: bodies carry secrets.
 */
@Injectable()
export class AdminAuditInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const meta = this.reflector.get<{ resource: AdminResource; action: string } | undefined>(
      ADMIN_ACTION,
      context.getHandler(),
    );
    if (!meta) return next.handle();
    const req = context.switchToHttp().getRequest<Request & { operator?: string }>();
    const successStatus =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (req.method === 'POST' ? 201 : 200);
    const started = Date.now();
    const paramId = typeof req.params?.id === 'string' ? req.params.id : undefined;
    // Clients are addressed by their public client_id, everything else by its id.
    const paramKey = meta.resource === 'client' ? 'clientId' : 'id';

    const write = (outcome: AuditOutcome, httpStatus: number, details: Record<string, unknown>) => {
      const ids = { ...details };
      const clientId = typeof ids.clientId === 'string' ? ids.clientId : undefined;
      return this.audit.record({
        kind: `admin.${meta.resource}.${meta.action}`,
        actor: req.operator ?? BOOTSTRAP_OPERATOR,
        outcome,
        httpStatus,
        durationMs: Date.now() - started,
        requestId: req.id,
        clientId: clientId ?? null,
        datasetId: meta.resource === 'dataset' ? ((ids.id as string | undefined) ?? null) : null,
        details: { resource: meta.resource, action: meta.action, ...ids },
      });
    };

    return from(
      (async () => {
        let result: unknown;
        try {
          result = await lastValueFrom(next.handle(), { defaultValue: undefined });
        } catch (err) {
          const status = err instanceof HttpException ? err.getStatus() : 500;
          const failure: Record<string, unknown> = {
            code:
              err instanceof ApiError
                ? err.code
                : status >= 500
                  ? 'internal_error'
                  : `http_${status}`,
          };
          if (paramId) failure[paramKey] = paramId;
          const fields =
            err instanceof ApiError ? err.extras.errors?.map((e) => e.field) : undefined;
          if (fields?.length) failure.fields = fields;
          await write(status >= 500 ? AuditOutcomes.error : AuditOutcomes.refused, status, failure);
          throw err;
        }
        await write(AuditOutcomes.success, successStatus, idsOf(result, paramKey, paramId));
        return result;
      })(),
    );
  }
}

/** The identifiers of what was touched, read from the answer (never its other fields). */
function idsOf(result: unknown, paramKey: string, paramId?: string): Record<string, unknown> {
  const ids: Record<string, unknown> = {};
  if (paramId) ids[paramKey] = paramId;
  if (result && typeof result === 'object') {
    const r = result as Record<string, unknown>;
    for (const key of ['id', 'clientId', 'providerId', 'kid'] as const) {
      if (typeof r[key] === 'string') ids[key] = r[key];
    }
    if (Array.isArray(r.datasets)) ids.datasets = r.datasets.filter((d) => typeof d === 'string');
    if (Array.isArray(r.items)) ids.count = r.items.length;
    if (typeof r.status === 'string') ids.status = r.status;
  }
  return ids;
}
