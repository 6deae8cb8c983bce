import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import type { AuditEvent, AuditTreeLeaf, Prisma } from '../generated/prisma/client.js';

/** The operator's filters on the audit log (all optional, combined with AND). */
export interface AuditLogFilter {
  /** An exact kind, or a prefix when it ends with a dot (`exchange.`). */
  kind?: string;
  clientId?: string;
  citizenId?: string;
  consentId?: string;
  datasetId?: string;
  outcome?: string;
  from?: Date;
  to?: Date;
  /** Keyset: only rows with a smaller seq (exclusive). */
  before?: bigint;
}

/**
 * Read-only queries on the audit tables for the operator's audit browser and the offline
 * verifier (`npm run audit:verify`, which builds this class itself outside Nest).
 */
@Injectable()
export class AuditLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Newest first, `limit` rows. Keyset on the primary key (seq): no OFFSET scan however long
   * the log.
   */
  page(filter: AuditLogFilter, limit: number): Promise<AuditEvent[]> {
    const where: Prisma.AuditEventWhereInput = {
      kind: filter.kind?.endsWith('.') ? { startsWith: filter.kind } : filter.kind,
      clientId: filter.clientId,
      citizenId: filter.citizenId,
      consentId: filter.consentId,
      datasetId: filter.datasetId,
      outcome: filter.outcome,
      occurredAt: filter.from || filter.to ? { gte: filter.from, lt: filter.to } : undefined,
      seq: filter.before !== undefined ? { lt: filter.before } : undefined,
    };
    return this.prisma.auditEvent.findMany({ where, orderBy: { seq: 'desc' }, take: limit });
  }

  /** Events after `after` in sequence order, `take` at most (the verifier streams the table). */
  eventsAfter(after: bigint, take: number): Promise<AuditEvent[]> {
    return this.prisma.auditEvent.findMany({
      where: { seq: { gt: after } },
      orderBy: { seq: 'asc' },
      take,
    });
  }

  /** The seq of the event at position `offset` (0-based) in sequence order, if any. */
  async seqAtPosition(offset: number): Promise<bigint | undefined> {
    const row = await this.prisma.auditEvent.findMany({
      orderBy: { seq: 'asc' },
      skip: offset,
      take: 1,
      select: { seq: true },
    });
    return row[0]?.seq;
  }

  /** The highest seq in the table, if any. */
  async lastSeq(): Promise<bigint | undefined> {
    const last = await this.prisma.auditEvent.findFirst({
      orderBy: { seq: 'desc' },
      select: { seq: true },
    });
    return last?.seq;
  }

  /** The stored tree leaves with `from <= idx < to`. */
  leaves(from: number, to: number): Promise<AuditTreeLeaf[]> {
    return this.prisma.auditTreeLeaf.findMany({
      where: { idx: { gte: BigInt(from), lt: BigInt(to) } },
    });
  }

  leaf(index: number): Promise<AuditTreeLeaf | null> {
    return this.prisma.auditTreeLeaf.findUnique({ where: { idx: BigInt(index) } });
  }

  /** Every stored checkpoint, smallest tree first. */
  checkpoints(): Promise<Array<{ treeSize: bigint; rootHash: string; jws: string }>> {
    return this.prisma.auditCheckpoint.findMany({
      orderBy: { treeSize: 'asc' },
      select: { treeSize: true, rootHash: true, jws: true },
    });
  }

  /**
   * Every public key the gateway ever signed with (retired ones included). The signing module
   * owns that table; the offline verifier runs without Nest, so it reads the public halves
   * here (read-only, public data) until the signing module exports such a read.
   */
  async publicJwks(): Promise<unknown[]> {
    const rows = await this.prisma.signingKey.findMany({ select: { publicJwk: true } });
    return rows.map((r) => r.publicJwk);
  }
}
