import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { RefusalAuditService } from './refusal-audit.service.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { safeEqual } from '../common/index.js';
import { AuditErrors } from './errors.js';

/** Who the audit log names for calls made with the bootstrap operator token. */
export const BOOTSTRAP_OPERATOR = 'operator:bootstrap';

/**
 * The operator API's only door: `Authorization: Bearer <OPERATOR_TOKEN>`, compared in constant
 * time. Anything else, a client's access token included (it is a different string), is the
 * same 401: the answer does not tell a wrong token from a missing one.
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly refusals: RefusalAuditService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request & { operator?: string }>();
    const header = req.headers.authorization;
    const match =
      typeof header === 'string' ? /^Bearer ([\x21-\x7E]+)$/i.exec(header.trim()) : null;
    if (!match || !safeEqual(match[1], this.config.operatorToken)) {
      // Unauthenticated: counted, and summarised per address and minute in the audit log.
      this.refusals.unauthenticated(
        req,
        match ? 'operator_token_invalid' : 'operator_token_missing',
      );
      throw AuditErrors.operatorTokenRequired();
    }
    req.operator = BOOTSTRAP_OPERATOR;
    return true;
  }
}
