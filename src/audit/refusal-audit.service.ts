/**
 * Audit of refusals. Two kinds, treated apart so that the hash-chained log records every
 * attempt of a known party without strangers being able to grow it:
 *
 * - **authenticated** callers refused for authorization reasons (a client reading another
 *   client's consent, a citizen opening, deciding or revoking another citizen's item, a CSRF
 *   failure with a valid session): one `authz.refused` event each, naming the actor;
 * - **unauthenticated** refusals (no or bad operator token, invalid access token, CSRF without a
 *   session): counted in `/metrics` (`passerelle_auth_refusals_total{kind,reason}`), and at
 *   most ONE `auth.refused_summary` event per address and per minute, with the count and
 *   reasons of that minute.
 */
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Request } from 'express';
import { Counter } from 'prom-client';
import { MetricsService } from '../health/index.js';
import { AuditOutcomes } from './audit-outcome.js';
import { AuditService } from './audit.service.js';

const SUMMARY_WINDOW_MS = 60_000;
/** Addresses tracked at once; beyond, further ones are counted in metrics only. */
const MAX_TRACKED_ADDRESSES = 10_000;

export interface AuthorizationRefusal {
  /** `client:<client_id>`, `citizen:<uuid>`, `operator:…`. */
  actor: string;
  /** Stable reason, e.g. `consent_of_another_client`, `csrf_token_invalid`. */
  reason: string;
  httpStatus: number;
  clientId?: string | null;
  citizenId?: string | null;
  consentId?: string | null;
  /** What was asked for (type and id), never a payload. */
  resource?: { type: string; id: string };
  requestId?: string | null;
}

interface Window {
  startedAt: number;
  count: number;
  reasons: Map<string, number>;
  timer: NodeJS.Timeout;
}

@Injectable()
export class RefusalAuditService implements OnModuleDestroy {
  private readonly logger = new Logger(RefusalAuditService.name);
  private readonly counter: Counter<'kind' | 'reason'>;
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly audit: AuditService,
    metrics: MetricsService,
  ) {
    this.counter = new Counter({
      name: 'passerelle_auth_refusals_total',
      help: 'Requests refused for authentication or authorization reasons, by kind and reason',
      labelNames: ['kind', 'reason'] as const,
      registers: [metrics.registry],
    });
  }

  /** An authenticated caller refused for authorization reasons: one audit event. */
  authenticated(refusal: AuthorizationRefusal, req?: Request): void {
    this.counter.inc({ kind: 'authenticated', reason: refusal.reason });
    this.audit.recordQuietly({
      kind: 'authz.refused',
      actor: refusal.actor,
      outcome: AuditOutcomes.refused,
      clientId: refusal.clientId ?? null,
      citizenId: refusal.citizenId ?? null,
      consentId: refusal.consentId ?? null,
      httpStatus: refusal.httpStatus,
      requestId: refusal.requestId ?? req?.id ?? null,
      details: {
        reason: refusal.reason,
        ...(req ? { method: req.method, path: req.path.slice(0, 200) } : {}),
        ...(refusal.resource
          ? { resource: refusal.resource.type, resourceId: refusal.resource.id.slice(0, 100) }
          : {}),
      },
    });
  }

  /** An unauthenticated refusal: a metric, and at most one summary event per address a minute. */
  unauthenticated(req: Request, reason: string): void {
    this.counter.inc({ kind: 'unauthenticated', reason });
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const current = this.windows.get(address);
    if (current) {
      current.count += 1;
      current.reasons.set(reason, (current.reasons.get(reason) ?? 0) + 1);
      return;
    }
    if (this.windows.size >= MAX_TRACKED_ADDRESSES) return;
    const window: Window = {
      startedAt: Date.now(),
      count: 1,
      reasons: new Map([[reason, 1]]),
      timer: setTimeout(() => this.flush(address), SUMMARY_WINDOW_MS),
    };
    window.timer.unref();
    this.windows.set(address, window);
  }

  /** Writes the summary of `address`'s window now (tests and shutdown call it too). */
  flush(address?: string): void {
    const addresses = address === undefined ? [...this.windows.keys()] : [address];
    for (const a of addresses) {
      const window = this.windows.get(a);
      if (!window) continue;
      clearTimeout(window.timer);
      this.windows.delete(a);
      this.audit.recordQuietly({
        kind: 'auth.refused_summary',
        actor: 'anonymous',
        outcome: AuditOutcomes.refused,
        details: {
          address: a.slice(0, 64),
          count: window.count,
          since: new Date(window.startedAt).toISOString(),
          reasons: Object.fromEntries(window.reasons),
        },
      });
    }
  }

  /** At shutdown the minute in progress is not written (the metric has it): the database goes. */
  onModuleDestroy(): void {
    for (const window of this.windows.values()) clearTimeout(window.timer);
    if (this.windows.size > 0) {
      this.logger.log({ addresses: this.windows.size }, 'refusal summaries dropped at shutdown');
    }
    this.windows.clear();
  }
}
