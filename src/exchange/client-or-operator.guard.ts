import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { safeEqual } from '../common/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { ClientAuthGuard } from '../oauth/index.js';

/**
 * For endpoints both requesting services and operators read (provider status): the operator
 * bearer token (compared in constant time), or else a valid client access token, checked by
 * the oauth module's own guard (same answers: 401 `invalid_token` with `WWW-Authenticate`).
 */
@Injectable()
export class ClientOrOperatorGuard implements CanActivate {
  constructor(
    private readonly clientGuard: ClientAuthGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    const match =
      typeof header === 'string' ? /^Bearer ([\x21-\x7E]+)$/i.exec(header.trim()) : null;
    if (match && safeEqual(match[1], this.config.operatorToken)) return true;
    return this.clientGuard.canActivate(context);
  }
}
