import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';

/** Rows per statement: a long backlog (an instance down for a day) is worked off in slices. */
export const EXPIRY_BATCH = 500;

/**
 * A JS instant as the `timestamp(3)` value Prisma writes for it (UTC wall time, no zone), so
 * that comparisons in raw SQL do not depend on the session's TimeZone setting.
 */
export function utc(at: Date): Prisma.Sql {
  return Prisma.sql`(${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
}

/** A consent this statement expired. `clientUuid` is the registry's client primary key. */
export interface ExpiredConsentRow {
  id: string;
  requestId: string;
  citizenId: string;
  clientUuid: string;
  notificationUrl: string | null;
}

/** A pending request this statement expired. */
export interface ExpiredRequestRow {
  id: string;
  citizenId: string | null;
  clientUuid: string;
  notificationUrl: string | null;
}

/**
 * The expiry transitions of consent and consent_request (ConsentLifecycleService keeps the
 * rules: when to run, what to audit and notify). Each is one conditional UPDATE … RETURNING on
 * rows claimed with `FOR UPDATE SKIP LOCKED`, so each transition happens exactly once whoever
 * runs it. The client's public id is the registry's to give (RegistryService), not joined here.
 */
@Injectable()
export class ConsentExpiryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Index consent(status, expires_at) finds the due rows; SKIP LOCKED lets two instances work
   * side by side (and skips a row a fetch is reserving right now: the next pass takes it). The
   * key is destroyed in the same statement as the status changes.
   */
  expireConsents(now: Date, onlyId?: string): Promise<ExpiredConsentRow[]> {
    return this.prisma.$queryRaw<ExpiredConsentRow[]>`
      WITH due AS (
        SELECT id FROM consent
        WHERE status = 'active' AND expires_at <= ${utc(now)}
          ${onlyId ? Prisma.sql`AND id = ${onlyId}::uuid` : Prisma.empty}
        ORDER BY expires_at
        LIMIT ${Prisma.raw(String(EXPIRY_BATCH))}
        FOR UPDATE SKIP LOCKED
      ), expired AS (
        UPDATE consent c SET status = 'expired', wrapped_key = NULL
        FROM due WHERE c.id = due.id AND c.status = 'active'
        RETURNING c.id, c.request_id, c.citizen_id, c.client_id
      )
      SELECT e.id::text AS "id", e.request_id::text AS "requestId", e.citizen_id::text AS "citizenId",
             e.client_id::text AS "clientUuid", r.notification_url AS "notificationUrl"
      FROM expired e
      JOIN consent_request r ON r.id = e.request_id`;
  }

  /** Index consent_request(status, expires_at). */
  expireRequests(now: Date, onlyId?: string): Promise<ExpiredRequestRow[]> {
    return this.prisma.$queryRaw<ExpiredRequestRow[]>`
      WITH due AS (
        SELECT id FROM consent_request
        WHERE status = 'pending' AND expires_at <= ${utc(now)}
          ${onlyId ? Prisma.sql`AND id = ${onlyId}::uuid` : Prisma.empty}
        ORDER BY expires_at
        LIMIT ${Prisma.raw(String(EXPIRY_BATCH))}
        FOR UPDATE SKIP LOCKED
      ), expired AS (
        UPDATE consent_request r SET status = 'expired'
        FROM due WHERE r.id = due.id AND r.status = 'pending'
        RETURNING r.id, r.client_id, r.citizen_id, r.notification_url
      )
      SELECT e.id::text AS "id", e.citizen_id::text AS "citizenId",
             e.client_id::text AS "clientUuid", e.notification_url AS "notificationUrl"
      FROM expired e`;
  }
}
