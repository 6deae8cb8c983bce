import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import type { Consent, ConsentBudget } from '../generated/prisma/client.js';

/** A consent with what it has spent (its `consent_budget` row). */
export type ConsentWithBudget = Consent & { budget: ConsentBudget | null };

/** A consent with what its revocation needs of its request (the client's hook). */
export type ConsentWithNotification = Consent & { request: { notificationUrl: string | null } };

/**
 * The citizen's side of the consent table: their list, the purposes their access log names,
 * and revocation. The client and habilitation behind a row are the registry's to give.
 */
@Injectable()
export class CitizenConsentsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Index consent(citizen_id). Newest first. */
  listForCitizen(citizenId: string): Promise<ConsentWithBudget[]> {
    return this.prisma.consent.findMany({
      where: { citizenId },
      include: { budget: true },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
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

  /**
   * Status and key go together: from this statement on, no fetch can reserve the consent and
   * the identity can no longer be decrypted, on any instance. True if this call revoked it.
   */
  async revoke(consentId: string, citizenId: string, now: Date): Promise<boolean> {
    const { count } = await this.prisma.consent.updateMany({
      where: { id: consentId, citizenId, status: 'active', expiresAt: { gt: now } },
      data: { status: 'revoked', revokedAt: now, wrappedKey: null },
    });
    return count === 1;
  }

  /** This citizen's consent, with its request's notification URL; null if not theirs. */
  findForCitizen(consentId: string, citizenId: string): Promise<ConsentWithNotification | null> {
    return this.prisma.consent.findFirst({
      where: { id: consentId, citizenId },
      include: { request: { select: { notificationUrl: true } } },
    });
  }

  /** Whether any citizen's consent has this id (primary key). */
  async exists(consentId: string): Promise<boolean> {
    const row = await this.prisma.consent.findUnique({
      where: { id: consentId },
      select: { id: true },
    });
    return row !== null;
  }
}
