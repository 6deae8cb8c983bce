import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AuditOutcomes, AuditService, type AuditInput } from '../audit/index.js';
import { PrismaService } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';
import { ConsentNotifier } from './consent-notifier.service.js';

/** How often the job runs; expiry is judged at read time anyway, the job only records it. */
export const LIFECYCLE_INTERVAL_MS = 60_000;
/** Rows per statement: a long backlog (an instance down for a day) is worked off in slices. */
const BATCH = 500;
const MAX_BATCHES_PER_TICK = 20;

/**
 * A JS instant as the `timestamp(3)` value Prisma writes for it (UTC wall time, no zone), so
 * that comparisons in raw SQL do not depend on the session's TimeZone setting.
 */
export function utc(at: Date): Prisma.Sql {
  return Prisma.sql`(${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
}

interface ExpiredConsentRow {
  id: string;
  requestId: string;
  citizenId: string;
  clientUuid: string;
  clientId: string;
  notificationUrl: string | null;
}

interface ExpiredRequestRow {
  id: string;
  citizenId: string | null;
  clientId: string;
  notificationUrl: string | null;
}

export interface TickResult {
  requests: number;
  consents: number;
}

/**
 * Records expiry: pending requests past their deadline become `expired`; active consents past
 * `expiresAt` become `expired` and lose their identity key (crypto-shredding), each audited as
 * `consent.expired` and notified to the client.
 *
 * Runs every minute on every instance. Safe with many instances: rows are claimed with
 * `FOR UPDATE SKIP LOCKED` and changed by one conditional UPDATE … RETURNING, so each
 * transition (and its audit event and notification) happens exactly once, whoever does it — the
 * job here or a read path that met an expired row first (expireConsent / expireRequest).
 */
@Injectable()
export class ConsentLifecycleService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ConsentLifecycleService.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<TickResult> | null = null;

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly notifier: ConsentNotifier,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      if (this.running) return; // a slow tick is never stacked on another
      this.tick().catch((err) => this.logger.error({ err }, 'consent lifecycle tick failed'));
    }, LIFECYCLE_INTERVAL_MS);
    // Never keeps the process alive on its own (tests, CLI scripts, graceful shutdown).
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Let a tick in progress finish its statements before the database closes.
    if (this.running) await this.running.catch(() => undefined);
  }

  /** One pass of the job (tests call it directly, with a chosen `now`). */
  tick(now: Date = new Date()): Promise<TickResult> {
    if (!this.running) {
      this.running = this.runTick(now).finally(() => (this.running = null));
    }
    return this.running;
  }

  private async runTick(now: Date): Promise<TickResult> {
    const result: TickResult = { requests: 0, consents: 0 };
    for (let i = 0; i < MAX_BATCHES_PER_TICK; i++) {
      const n = await this.expireRequests(now);
      result.requests += n;
      if (n < BATCH) break;
    }
    for (let i = 0; i < MAX_BATCHES_PER_TICK; i++) {
      const n = await this.expireConsents(now);
      result.consents += n;
      if (n < BATCH) break;
    }
    if (result.requests || result.consents) this.logger.log(result, 'consent lifecycle: expired');
    return result;
  }

  /** Records the expiry of one consent met past its end on a read path; true if this call did it. */
  async expireConsent(consentId: string, now: Date = new Date()): Promise<boolean> {
    return (await this.expireConsents(now, consentId)) === 1;
  }

  /** Records the expiry of one pending request met past its deadline; true if this call did it. */
  async expireRequest(requestId: string, now: Date = new Date()): Promise<boolean> {
    return (await this.expireRequests(now, requestId)) === 1;
  }

  /**
   * Index consent(status, expires_at) finds the due rows; SKIP LOCKED lets two instances work
   * side by side (and skips a row a fetch is reserving right now: the next pass takes it). The
   * key is destroyed in the same statement as the status changes.
   */
  private async expireConsents(now: Date, onlyId?: string): Promise<number> {
    const rows = await this.prisma.$queryRaw<ExpiredConsentRow[]>`
      WITH due AS (
        SELECT id FROM consent
        WHERE status = 'active' AND expires_at <= ${utc(now)}
          ${onlyId ? Prisma.sql`AND id = ${onlyId}::uuid` : Prisma.empty}
        ORDER BY expires_at
        LIMIT ${Prisma.raw(String(BATCH))}
        FOR UPDATE SKIP LOCKED
      ), expired AS (
        UPDATE consent c SET status = 'expired', wrapped_key = NULL
        FROM due WHERE c.id = due.id AND c.status = 'active'
        RETURNING c.id, c.request_id, c.citizen_id, c.client_id
      )
      SELECT e.id::text AS "id", e.request_id::text AS "requestId", e.citizen_id::text AS "citizenId",
             e.client_id::text AS "clientUuid", cl.client_id AS "clientId",
             r.notification_url AS "notificationUrl"
      FROM expired e
      JOIN client cl ON cl.id = e.client_id
      JOIN consent_request r ON r.id = e.request_id`;
    for (const row of rows) {
      await this.recordAudit({
        kind: 'consent.expired',
        actor: 'gateway',
        outcome: AuditOutcomes.success,
        clientId: row.clientId,
        citizenId: row.citizenId,
        consentId: row.id,
        details: { consentRequestId: row.requestId, identityKeyDestroyed: true },
      });
      if (row.notificationUrl) {
        this.notifier.notify(
          {
            url: row.notificationUrl,
            clientId: row.clientId,
            consentRequestId: row.requestId,
            consentId: row.id,
          },
          'expired',
          now,
        );
      }
    }
    return rows.length;
  }

  /** The transition is already committed: a failed audit write is logged, not retried. */
  private async recordAudit(input: AuditInput): Promise<void> {
    await this.audit
      .record(input)
      .catch((err) =>
        this.logger.error({ err, kind: input.kind }, 'audit event could not be written'),
      );
  }

  /** Index consent_request(status, expires_at). */
  private async expireRequests(now: Date, onlyId?: string): Promise<number> {
    const rows = await this.prisma.$queryRaw<ExpiredRequestRow[]>`
      WITH due AS (
        SELECT id FROM consent_request
        WHERE status = 'pending' AND expires_at <= ${utc(now)}
          ${onlyId ? Prisma.sql`AND id = ${onlyId}::uuid` : Prisma.empty}
        ORDER BY expires_at
        LIMIT ${Prisma.raw(String(BATCH))}
        FOR UPDATE SKIP LOCKED
      ), expired AS (
        UPDATE consent_request r SET status = 'expired'
        FROM due WHERE r.id = due.id AND r.status = 'pending'
        RETURNING r.id, r.client_id, r.citizen_id, r.notification_url
      )
      SELECT e.id::text AS "id", e.citizen_id::text AS "citizenId", cl.client_id AS "clientId",
             e.notification_url AS "notificationUrl"
      FROM expired e JOIN client cl ON cl.id = e.client_id`;
    for (const row of rows) {
      await this.recordAudit({
        kind: 'consent.request_expired',
        actor: 'gateway',
        outcome: AuditOutcomes.success,
        clientId: row.clientId,
        citizenId: row.citizenId,
        details: { consentRequestId: row.id },
      });
      if (row.notificationUrl) {
        this.notifier.notify(
          { url: row.notificationUrl, clientId: row.clientId, consentRequestId: row.id },
          'expired',
          now,
        );
      }
    }
    return rows.length;
  }
}
