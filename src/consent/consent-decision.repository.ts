import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import type { ConsentRequest, Prisma } from '../generated/prisma/client.js';

/**
 * The consent request's side of the citizen's decision. Every state change is one conditional
 * UPDATE whose WHERE clause carries the rule (still pending, not expired, this citizen…): two
 * browsers, two instances or a decision racing the expiry job can never both win.
 */
@Injectable()
export class ConsentDecisionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Primary key lookup. */
  findRequest(id: string): Promise<ConsentRequest | null> {
    return this.prisma.consentRequest.findUnique({ where: { id } });
  }

  /**
   * The first logged-in citizen to open a decidable request owns it: a consent link forwarded
   * or intercepted afterwards is of no use to anyone else.
   */
  async bindCitizen(requestId: string, citizenId: string, now: Date): Promise<void> {
    await this.prisma.consentRequest.updateMany({
      where: { id: requestId, citizenId: null, status: 'pending', expiresAt: { gt: now } },
      data: { citizenId },
    });
  }

  /**
   * The decision and, on approval, the consent row, in one transaction: the request changes only
   * if still pending, unexpired and this citizen's (or no one's). False if another decision, the
   * expiry or another citizen came first.
   */
  decide(
    requestId: string,
    citizenId: string,
    decided: 'approved' | 'denied',
    consent: Prisma.ConsentUncheckedCreateInput | null,
    now: Date,
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.consentRequest.updateMany({
        where: {
          id: requestId,
          status: 'pending',
          expiresAt: { gt: now },
          OR: [{ citizenId: null }, { citizenId }],
        },
        data: { status: decided, citizenId, decidedAt: now },
      });
      if (count !== 1) return false;
      // With its budget row: the fetch spends from it (fetch-budget.repository).
      if (consent) await tx.consent.create({ data: { ...consent, budget: { create: {} } } });
      return true;
    });
  }

  /** Primary key lookup. */
  async redirectUriOf(requestId: string): Promise<string | null> {
    const row = await this.prisma.consentRequest.findUnique({
      where: { id: requestId },
      select: { redirectUri: true },
    });
    return row?.redirectUri ?? null;
  }
}
