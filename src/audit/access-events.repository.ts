import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';

/** An audit row as the citizen's access log reads it. */
export interface AccessEventRow {
  seq: bigint;
  id: string;
  occurredAt: Date;
  kind: string;
  clientId: string | null;
  consentId: string | null;
  datasetId: string | null;
  outcome: string;
  details: unknown;
}

/** Which audit kinds count as an access to a citizen's data (the citizen module decides). */
export interface AccessKinds {
  /** Every kind starting with this prefix (`exchange.`). */
  prefix: string;
  /** And these exact kinds (`consent.previewed`). */
  exact: string[];
}

/**
 * The audit table's queries for the citizen's access log ("Qui a consulté mes données"): the
 * audit module owns the table; the citizen module tells which kinds are accesses.
 */
@Injectable()
export class AccessEventsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * One page of this citizen's accesses, newest first, `limit + 1` rows (the caller keeps
   * `limit` and knows whether more follow). Keyset on `seq` (`before`: exclusive).
   * Index: audit_event(citizen_id, occurred_at) narrows to this citizen's rows (a few thousand
   * at most over years); the kind filter and the sort by seq run on those.
   */
  page(
    citizenId: string,
    kinds: AccessKinds,
    before: bigint | null,
    limit: number,
  ): Promise<AccessEventRow[]> {
    return this.prisma.auditEvent.findMany({
      where: {
        citizenId,
        OR: [{ kind: { startsWith: kinds.prefix } }, { kind: { in: kinds.exact } }],
        ...(before !== null ? { seq: { lt: before } } : {}),
      },
      orderBy: { seq: 'desc' },
      take: limit + 1,
      select: {
        seq: true,
        id: true,
        occurredAt: true,
        kind: true,
        clientId: true,
        consentId: true,
        datasetId: true,
        outcome: true,
        details: true,
      },
    });
  }

  /** The citizen whose access `eventId` (a uuid) is, or null when it is no access to anyone's data. */
  async accessOwner(eventId: string, kinds: AccessKinds): Promise<string | null> {
    const row = await this.prisma.auditEvent.findFirst({
      where: {
        id: eventId,
        citizenId: { not: null },
        OR: [{ kind: { startsWith: kinds.prefix } }, { kind: { in: kinds.exact } }],
      },
      select: { citizenId: true },
    });
    return row?.citizenId ?? null;
  }
}
