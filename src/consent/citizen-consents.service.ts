import { Injectable, Logger } from '@nestjs/common';
import { AuditOutcomes, AuditService, RefusalAuditService } from '../audit/index.js';
import { RegistryService } from '../registry/index.js';
import { CitizenConsentsRepository } from './citizen-consents.repository.js';
import type { CitizenConsentView, CitizenConsentsContract, FetchMode } from './consent.contract.js';
import { ConsentLifecycleService } from './consent-lifecycle.service.js';
import { ConsentNotifier } from './consent-notifier.service.js';
import { otherCitizen, recordCommitted } from './consent-shared.js';
import { consentStatusAt, isUuid } from './consent-status.js';
import { ConsentErrors } from './errors.js';

/**
 * The citizen's consents (see consent.contract.ts): their list at /me and their revocation,
 * which destroys the identity key in the same statement (crypto-shredding) and tells every
 * instance at once.
 */
@Injectable()
export class CitizenConsentsService implements CitizenConsentsContract {
  private readonly logger = new Logger(CitizenConsentsService.name);

  constructor(
    private readonly consents: CitizenConsentsRepository,
    private readonly registry: RegistryService,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAuditService,
    private readonly notifier: ConsentNotifier,
    private readonly lifecycle: ConsentLifecycleService,
  ) {}

  /** Index consent(citizen_id). */
  async listForCitizen(citizenId: string): Promise<CitizenConsentView[]> {
    if (!isUuid(citizenId)) return [];
    const now = new Date();
    const rows = await this.consents.listForCitizen(citizenId);
    // The registry names the clients and habilitations: one batched read each.
    const [datasets, clients, habilitations] = await Promise.all([
      this.registry.describeDatasets([...new Set(rows.flatMap((r) => r.datasets))]),
      this.registry.clientsByUuid(rows.map((r) => r.clientId)),
      this.registry.habilitationPurposes(rows.map((r) => r.habilitationId)),
    ]);
    return rows.map((r) => ({
      id: r.id,
      client: {
        name: clients.get(r.clientId)?.name ?? '',
        siret: clients.get(r.clientId)?.siret ?? '',
      },
      datasets: r.datasets.map((id) => ({
        id,
        title: datasets.get(id)?.title ?? id,
        providerName: datasets.get(id)?.providerName ?? '',
      })),
      purpose: r.purpose,
      habilitationPurpose: habilitations.get(r.habilitationId) ?? '',
      legalBasis: r.legalBasis,
      fetchMode: r.fetchMode as FetchMode,
      fetchCount: r.budget?.fetchCount ?? 0,
      servedDatasets: servedDatasets(r.budget?.lastFetches ?? null),
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
      status: consentStatusAt(r, now),
      revokedAt: r.revokedAt,
    }));
  }

  /** Primary-key `IN` reads, one per table. */
  purposesOf(
    consentIds: string[],
    requestIds: string[],
  ): Promise<{ consents: Map<string, string>; requests: Map<string, string> }> {
    return this.consents.purposesOf(consentIds, requestIds);
  }

  async revokeByCitizen(
    consentId: string,
    citizenId: string,
    requestIdHeader?: string,
  ): Promise<void> {
    if (!isUuid(consentId) || !isUuid(citizenId)) throw ConsentErrors.consentNotFound();
    const now = new Date();
    // Status and key go together: from this statement on, no fetch can reserve the consent and
    // the identity can no longer be decrypted, on any instance.
    const revoked = await this.consents.revoke(consentId, citizenId, now);
    const row = await this.consents.findForCitizen(consentId, citizenId);
    // Another citizen's consent: the same answer as an unknown id, but audited.
    if (!row) {
      if (await this.consents.exists(consentId))
        otherCitizen(this.refusals, citizenId, 'consent', consentId, requestIdHeader, 404);
      throw ConsentErrors.consentNotFound();
    }
    if (!revoked) {
      // Already revoked or expired: nothing left to revoke (idempotent).
      if (consentStatusAt(row, now) === 'expired' && row.status === 'active')
        await this.lifecycle.expireConsent(row.id, now);
      return;
    }
    // A client row cannot vanish under its consents (foreign key, on delete restrict).
    const clients = await this.registry.clientsByUuid([row.clientId]);
    const clientId = clients.get(row.clientId)?.clientId ?? row.clientId;
    await recordCommitted(this.audit, this.logger, {
      kind: 'consent.revoked',
      actor: `citizen:${citizenId}`,
      outcome: AuditOutcomes.success,
      clientId,
      citizenId,
      consentId: row.id,
      requestId: requestIdHeader ?? null,
      details: { consentRequestId: row.requestId, identityKeyDestroyed: true },
    });
    if (row.request.notificationUrl) {
      this.notifier.notify(
        {
          url: row.request.notificationUrl,
          clientId,
          consentRequestId: row.requestId,
          consentId: row.id,
        },
        'revoked',
        now,
      );
    }
  }
}

/** The datasets a consent's `last_fetches` (jsonb dataset -> time) says were served. */
function servedDatasets(lastFetches: unknown): string[] {
  if (lastFetches === null || typeof lastFetches !== 'object' || Array.isArray(lastFetches)) {
    return [];
  }
  return Object.keys(lastFetches);
}
