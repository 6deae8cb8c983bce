import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import { Prisma, type Consent, type ConsentRequest } from '../generated/prisma/client.js';

/** The client's side of the consent tables: its requests and its consents. */
@Injectable()
export class ConsentRequestsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Inserts the request; null when the unique index consent_request(client_id, idempotency_key)
   * refused it (another call with the same key got there first: the caller answers with its row).
   */
  async insert(data: Prisma.ConsentRequestUncheckedCreateInput): Promise<ConsentRequest | null> {
    try {
      return await this.prisma.consentRequest.create({ data });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') return null;
      throw err;
    }
  }

  /** Index: consent_request primary key; with the id of the consent it led to, if any. */
  findRequestWithConsent(
    id: string,
  ): Promise<(ConsentRequest & { consent: { id: string } | null }) | null> {
    return this.prisma.consentRequest.findUnique({
      where: { id },
      include: { consent: { select: { id: true } } },
    });
  }

  /** Index: consent primary key. */
  findConsent(id: string): Promise<Consent | null> {
    return this.prisma.consent.findUnique({ where: { id } });
  }

  /** Index: consent_request(client_id, idempotency_key) unique. */
  findByIdempotencyKey(clientUuid: string, key: string): Promise<ConsentRequest | null> {
    return this.prisma.consentRequest.findUnique({
      where: { clientId_idempotencyKey: { clientId: clientUuid, idempotencyKey: key } },
    });
  }
}
