import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '../database/index.js';
import { Prisma, type ConsentRequest } from '../generated/prisma/client.js';
import type { ConsentWithBudget } from './citizen-consents.repository.js';
import { utc } from './consent-expiry.repository.js';

/** What a new request is made of; the rest (id, status, citizen, decision) starts empty. */
export type NewConsentRequest = Omit<ConsentRequest, 'id' | 'status' | 'citizenId' | 'decidedAt'>;

/** The client's side of the consent tables: its requests and its consents. */
@Injectable()
export class ConsentRequestsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Inserts the request; null when the unique index consent_request(client_id, idempotency_key)
   * refused it (another call with the same key got there first: the caller answers with its row).
   * hotQuery: one plain INSERT outside Prisma's query pipeline (~0.3 ms of CPU per statement,
   * see PrismaService.hotQuery), as every consent request runs it; nothing to read back, every
   * value is ours. Timestamps as UTC, the way Prisma stores them (see utc()).
   */
  async insert(data: NewConsentRequest): Promise<ConsentRequest | null> {
    const id = randomUUID();
    const { rowCount } = await this.prisma.hotQuery(Prisma.sql`
      INSERT INTO consent_request (id, client_id, habilitation_id, datasets, purpose,
        duration_days, fetch_mode, redirect_uri, state, notification_url, idempotency_key,
        body_digest, status, created_at, expires_at)
      VALUES (${id}::uuid, ${data.clientId}::uuid, ${data.habilitationId}::uuid,
        ${data.datasets}::text[], ${data.purpose}, ${data.durationDays}::int,
        ${data.fetchMode}::"FetchMode", ${data.redirectUri}, ${data.state},
        ${data.notificationUrl}, ${data.idempotencyKey}, ${data.bodyDigest}, 'pending',
        ${utc(data.createdAt)}, ${utc(data.expiresAt)})
      ON CONFLICT (client_id, idempotency_key) DO NOTHING`);
    if (rowCount === 0) return null;
    return { ...data, id, status: 'pending', citizenId: null, decidedAt: null };
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
  findConsent(id: string): Promise<ConsentWithBudget | null> {
    return this.prisma.consent.findUnique({ where: { id }, include: { budget: true } });
  }

  /** Index: consent_request(client_id, idempotency_key) unique. */
  findByIdempotencyKey(clientUuid: string, key: string): Promise<ConsentRequest | null> {
    return this.prisma.consentRequest.findUnique({
      where: { clientId_idempotencyKey: { clientId: clientUuid, idempotencyKey: key } },
    });
  }
}
