import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AuditOutcomes, AuditService, type AuditInput } from '../audit/index.js';
import { RegistryService } from '../registry/index.js';
import { ConsentExpiryRepository, EXPIRY_BATCH as BATCH } from './consent-expiry.repository.js';
import { ConsentNotifier } from './consent-notifier.service.js';

/** How often the job runs; expiry is judged at read time anyway, the job only records it. */
export const LIFECYCLE_INTERVAL_MS = 60_000;
const MAX_BATCHES_PER_TICK = 20;

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
    private readonly expiry: ConsentExpiryRepository,
    private readonly registry: RegistryService,
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
   * Expires due consents (ConsentExpiryRepository.expireConsents: one statement, key destroyed
   * with the status change), then audits and notifies each.
   */
  private async expireConsents(now: Date, onlyId?: string): Promise<number> {
    const rows = await this.expiry.expireConsents(now, onlyId);
    const clientIds = await this.clientIds(rows);
    for (const row of rows) {
      const clientId = clientIds.get(row.clientUuid) ?? row.clientUuid;
      await this.recordAudit({
        kind: 'consent.expired',
        actor: 'gateway',
        outcome: AuditOutcomes.success,
        clientId,
        citizenId: row.citizenId,
        consentId: row.id,
        details: { consentRequestId: row.requestId, identityKeyDestroyed: true },
      });
      if (row.notificationUrl) {
        this.notifier.notify(
          {
            url: row.notificationUrl,
            clientId,
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

  /**
   * The expired rows' public client ids, in one registry lookup. A client row cannot vanish
   * under its consents (foreign key); the fallback to the primary key is defensive only.
   */
  private async clientIds(rows: Array<{ clientUuid: string }>): Promise<Map<string, string>> {
    const clients = await this.registry.clientsByUuid(rows.map((r) => r.clientUuid));
    return new Map([...clients].map(([uuid, c]) => [uuid, c.clientId]));
  }

  /** The transition is already committed: a failed audit write is logged, not retried. */
  private async recordAudit(input: AuditInput): Promise<void> {
    await this.audit
      .record(input)
      .catch((err) =>
        this.logger.error({ err, kind: input.kind }, 'audit event could not be written'),
      );
  }

  /** Expires due pending requests (ConsentExpiryRepository.expireRequests), audits, notifies. */
  private async expireRequests(now: Date, onlyId?: string): Promise<number> {
    const rows = await this.expiry.expireRequests(now, onlyId);
    const clientIds = await this.clientIds(rows);
    for (const row of rows) {
      const clientId = clientIds.get(row.clientUuid) ?? row.clientUuid;
      await this.recordAudit({
        kind: 'consent.request_expired',
        actor: 'gateway',
        outcome: AuditOutcomes.success,
        clientId,
        citizenId: row.citizenId,
        details: { consentRequestId: row.id },
      });
      if (row.notificationUrl) {
        this.notifier.notify(
          { url: row.notificationUrl, clientId, consentRequestId: row.id },
          'expired',
          now,
        );
      }
    }
    return rows.length;
  }
}
