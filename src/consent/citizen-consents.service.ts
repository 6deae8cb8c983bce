import { Injectable, Logger } from '@nestjs/common';
import { AuditOutcomes, AuditService, RefusalAuditService } from '../audit/index.js';
import { PrismaService } from '../database/index.js';
import { RegistryService } from '../registry/index.js';
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
    private readonly prisma: PrismaService,
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
    const rows = await this.prisma.consent.findMany({
      where: { citizenId },
      include: {
        client: { select: { name: true, siret: true } },
        habilitation: { select: { purpose: true } },
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    const datasets = await this.registry.describeDatasets([
      ...new Set(rows.flatMap((r) => r.datasets)),
    ]);
    return rows.map((r) => ({
      id: r.id,
      client: { name: r.client.name, siret: r.client.siret },
      datasets: r.datasets.map((id) => ({
        id,
        title: datasets.get(id)?.title ?? id,
        providerName: datasets.get(id)?.providerName ?? '',
      })),
      purpose: r.purpose,
      habilitationPurpose: r.habilitation.purpose,
      legalBasis: r.legalBasis,
      fetchMode: r.fetchMode as FetchMode,
      fetchCount: r.fetchCount,
      servedDatasets: servedDatasets(r.lastFetches),
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
      status: consentStatusAt(r, now),
      revokedAt: r.revokedAt,
    }));
  }

  /** Primary-key `IN` reads, one per table. */
  async purposesOf(
    consentIds: string[],
    requestIds: string[],
  ): Promise<{ consents: Map<string, string>; requests: Map<string, string> }> {
    const [consents, requests] = await Promise.all([
      consentIds.length
        ? this.prisma.consent.findMany({
            where: { id: { in: consentIds } },
            select: { id: true, purpose: true },
          })
        : [],
      requestIds.length
        ? this.prisma.consentRequest.findMany({
            where: { id: { in: requestIds } },
            select: { id: true, purpose: true },
          })
        : [],
    ]);
    return {
      consents: new Map(consents.map((c) => [c.id, c.purpose])),
      requests: new Map(requests.map((r) => [r.id, r.purpose])),
    };
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
    const { count } = await this.prisma.consent.updateMany({
      where: { id: consentId, citizenId, status: 'active', expiresAt: { gt: now } },
      data: { status: 'revoked', revokedAt: now, wrappedKey: null },
    });
    const row = await this.prisma.consent.findFirst({
      where: { id: consentId, citizenId },
      include: {
        client: { select: { clientId: true } },
        request: { select: { notificationUrl: true } },
      },
    });
    // Another citizen's consent: the same answer as an unknown id, but audited.
    if (!row) {
      const exists = await this.prisma.consent.findUnique({
        where: { id: consentId },
        select: { id: true },
      });
      if (exists)
        otherCitizen(this.refusals, citizenId, 'consent', consentId, requestIdHeader, 404);
      throw ConsentErrors.consentNotFound();
    }
    if (count !== 1) {
      // Already revoked or expired: nothing left to revoke (idempotent).
      if (consentStatusAt(row, now) === 'expired' && row.status === 'active')
        await this.lifecycle.expireConsent(row.id, now);
      return;
    }
    await recordCommitted(this.audit, this.logger, {
      kind: 'consent.revoked',
      actor: `citizen:${citizenId}`,
      outcome: AuditOutcomes.success,
      clientId: row.client.clientId,
      citizenId,
      consentId: row.id,
      requestId: requestIdHeader ?? null,
      details: { consentRequestId: row.requestId, identityKeyDestroyed: true },
    });
    if (row.request.notificationUrl) {
      this.notifier.notify(
        {
          url: row.request.notificationUrl,
          clientId: row.client.clientId,
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
