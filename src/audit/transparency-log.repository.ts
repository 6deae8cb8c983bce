/**
 * The transparency log's tables (audit_tree_leaf, audit_tree_node, audit_checkpoint) and the
 * audit_event reads its appender and its proofs make.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import type { AuditCheckpoint, AuditEvent, AuditTreeLeaf } from '../generated/prisma/client.js';
import type { NodeRef } from './merkle.js';
import type { LeafEvent } from './audit-leaf.js';

/** Distinct from the chain's and Prisma's locks: one appender at a time across instances. */
const TREE_LOCK = 0x74726565; // "tree"

/** An audit_event row as the appender reads it (exact types cast in SQL). */
export type RawEvent = Omit<LeafEvent, 'details'> & { seq: string; details: string | null };

/** A stored tree node: a completed perfect subtree's hash. */
export interface StoredNode {
  level: number;
  idx: bigint;
  hash: Uint8Array;
}

type Db = Pick<PrismaService, 'auditTreeNode'>;

/** The appender's statements, inside the transaction that holds the tree's advisory lock. */
export class TreeAppend {
  constructor(
    private readonly tx: Pick<PrismaService, '$queryRaw' | '$executeRaw' | 'auditTreeNode'>,
  ) {}

  /** Uses the primary key backwards: one row, whatever the tree's size. */
  lastLeaf(): Promise<Array<{ idx: string; seq: string; hash: string }>> {
    return this.tx.$queryRaw`
            SELECT l.idx::text AS idx, l.seq::text AS seq, e.hash FROM audit_tree_leaf l
              LEFT JOIN audit_event e ON e.seq = l.seq
             ORDER BY l.idx DESC LIMIT 1`;
  }

  /**
   * Exact types in SQL (text, ISO 8601 in UTC, JSON as text): what the leaf hashes.
   * Sorted on e.seq, the bigint: the bare name would be the text output column.
   */
  eventsAfter(afterSeq: string, limit: number): Promise<RawEvent[]> {
    return this.tx.$queryRaw<RawEvent[]>`
            SELECT seq::text AS seq, id::text AS id,
                   to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt",
                   kind, actor, client_id AS "clientId", citizen_id AS "citizenId",
                   consent_id AS "consentId", dataset_id AS "datasetId", outcome,
                   http_status AS "httpStatus", duration_ms AS "durationMs",
                   request_id AS "requestId", payload_digest AS "payloadDigest",
                   details::text AS details, prev_hash AS "prevHash", hash
              FROM audit_event e WHERE e.seq > ${afterSeq}::bigint ORDER BY e.seq LIMIT ${limit}`;
  }

  nodes(refs: NodeRef[]): Promise<StoredNode[]> {
    return nodesOf(this.tx, refs);
  }

  async insertLeaves(indexes: string[], seqs: string[], eventIds: string[], tags: string[]) {
    await this.tx.$executeRaw`
            INSERT INTO audit_tree_leaf (idx, seq, event_id, tag)
            SELECT * FROM unnest(${indexes}::bigint[], ${seqs}::bigint[],
                                 ${eventIds}::uuid[],
                                 ${tags}::text[])`;
  }

  /** `hashes` in hex. */
  async insertNodes(levels: number[], indexes: string[], hashes: string[]) {
    await this.tx.$executeRaw`
            INSERT INTO audit_tree_node (level, idx, hash)
            SELECT l, i, decode(h, 'hex')
              FROM unnest(${levels}::int[], ${indexes}::bigint[],
                          ${hashes}::text[]) AS t(l, i, h)`;
  }
}

function nodesOf(db: Db, refs: NodeRef[]): Promise<StoredNode[]> {
  return db.auditTreeNode.findMany({
    where: { OR: refs.map((r) => ({ level: r.level, idx: BigInt(r.index) })) },
  });
}

@Injectable()
export class TransparencyLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Raw SQL in one transaction (lock, 4 statements): Prisma's model mapping of hundreds of
   * rows a second would cost the gateway more CPU than the fetches themselves (measured with
   * npm run bench). One appender at a time across instances; a second one waits, then finds
   * the work done.
   */
  withAppendLock<T>(fn: (tx: TreeAppend) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT pg_advisory_xact_lock(${TREE_LOCK})::text AS locked`;
        return fn(new TreeAppend(tx));
      },
      { timeout: 30_000 },
    );
  }

  lastLeafIndex(): Promise<{ idx: bigint } | null> {
    return this.prisma.auditTreeLeaf.findFirst({
      orderBy: { idx: 'desc' },
      select: { idx: true },
    });
  }

  nodes(refs: NodeRef[]): Promise<StoredNode[]> {
    return nodesOf(this.prisma, refs);
  }

  latestCheckpoint(): Promise<AuditCheckpoint | null> {
    return this.prisma.auditCheckpoint.findFirst({ orderBy: { treeSize: 'desc' } });
  }

  /** Checkpoints of tree size ≥ from, oldest first. */
  checkpoints(from: number, limit: number): Promise<AuditCheckpoint[]> {
    return this.prisma.auditCheckpoint.findMany({
      where: { treeSize: { gte: BigInt(from) } },
      orderBy: { treeSize: 'asc' },
      take: limit,
    });
  }

  checkpointAt(size: number): Promise<AuditCheckpoint | null> {
    return this.prisma.auditCheckpoint.findUnique({ where: { treeSize: BigInt(size) } });
  }

  async insertCheckpoint(row: AuditCheckpoint): Promise<void> {
    await this.prisma.auditCheckpoint.createMany({
      data: [row],
      skipDuplicates: true, // another instance signed the same size first: keep theirs
    });
  }

  leafOf(eventId: string): Promise<AuditTreeLeaf | null> {
    return this.prisma.auditTreeLeaf.findUnique({ where: { eventId } });
  }

  eventAt(seq: bigint): Promise<AuditEvent | null> {
    return this.prisma.auditEvent.findUnique({ where: { seq } });
  }
}
