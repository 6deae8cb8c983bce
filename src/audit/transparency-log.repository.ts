/**
 * The transparency log's tables (audit_tree_leaf, audit_tree_node, audit_checkpoint) and the
 * audit_event reads its appender and its proofs make.
 */
import { Injectable } from '@nestjs/common';
import { type HotSession, PrismaService } from '../database/index.js';
import {
  Prisma,
  type AuditCheckpoint,
  type AuditEvent,
  type AuditTreeLeaf,
} from '../generated/prisma/client.js';
import type { NodeRef } from './merkle.js';
import type { LeafEvent } from './audit-leaf.js';

/** Distinct from the chain's and Prisma's locks: one appender at a time across instances. */
const TREE_LOCK = 0x74726565; // "tree"

/** An audit_event row as the appender reads it (exact types cast in SQL). */
export type RawEvent = Omit<LeafEvent, 'details'> & { seq: string; details: string | null };

/** An audit_event row as the appender first reads it: its place and its links in the chain. */
export interface ChainLink {
  seq: string;
  id: string;
  prevHash: string;
  hash: string;
}

/** The columns of a RawEvent, each cast to exactly what the leaf hash covers. */
const EVENT_COLUMNS = Prisma.raw(`seq::text AS seq, id::text AS id,
                   to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt",
                   kind, actor, client_id AS "clientId", citizen_id AS "citizenId",
                   consent_id AS "consentId", dataset_id AS "datasetId", outcome,
                   http_status::int AS "httpStatus", duration_ms::int AS "durationMs",
                   request_id AS "requestId", payload_digest AS "payloadDigest",
                   details::text AS details, prev_hash AS "prevHash", hash`);

/** A stored tree node: a completed perfect subtree's hash. */
export interface StoredNode {
  level: number;
  idx: bigint;
  hash: Buffer;
}

/**
 * The appender's statements, inside the transaction that holds the tree's advisory lock. They
 * run outside Prisma's query pipeline (PrismaService.hotTransaction): the appender runs every
 * second beside the fetches, and Prisma's raw-query path cost it more CPU than the statements.
 * Results come as the driver parses them: every column is cast in SQL to the type read here.
 */
export class TreeAppend {
  constructor(private readonly tx: HotSession) {}

  /**
   * Taken in its own statement, before any read: under READ COMMITTED each statement sees what
   * was committed when it started, so reads after the lock see the previous appender's rows.
   */
  async lock(): Promise<void> {
    await this.tx.query(Prisma.sql`SELECT pg_advisory_xact_lock(${TREE_LOCK}::bigint)::text`);
  }

  /** Uses the primary key backwards: one row, whatever the tree's size. */
  async lastLeaf(): Promise<{ idx: string; seq: string; hash: string } | undefined> {
    const { rows } = await this.tx.query<{ idx: string; seq: string; hash: string }>(
      Prisma.sql`
            SELECT l.idx::text AS idx, l.seq::text AS seq, e.hash FROM audit_tree_leaf l
              LEFT JOIN audit_event e ON e.seq = l.seq
             ORDER BY l.idx DESC LIMIT 1`,
      { preparedAs: 'tree_last_leaf' },
    );
    return rows[0];
  }

  /**
   * The next events in sequence order, with only what chaining them and naming their leaves
   * needs: their leaf hashes come from the writer when this instance wrote them
   * (AuditService.writtenLeafHash), else from eventsAt.
   */
  async chainAfter(afterSeq: string, limit: number): Promise<ChainLink[]> {
    const { rows } = await this.tx.query<ChainLink>(
      Prisma.sql`
            SELECT seq::text AS seq, id::text AS id, prev_hash AS "prevHash", hash
              FROM audit_event e WHERE e.seq > ${afterSeq}::bigint ORDER BY e.seq LIMIT ${limit}::int`,
      { preparedAs: 'tree_chain_after' },
    );
    return rows;
  }

  /** Whole events by sequence number (those whose leaf hash the writer did not give). */
  async eventsAt(seqs: string[]): Promise<RawEvent[]> {
    const { rows } = await this.tx.query<RawEvent>(
      Prisma.sql`
            SELECT ${EVENT_COLUMNS} FROM audit_event e
             WHERE e.seq = ANY(${seqs}::bigint[]) ORDER BY e.seq`,
      { preparedAs: 'tree_events_at' },
    );
    return rows;
  }

  nodes(refs: NodeRef[]): Promise<StoredNode[]> {
    return nodesOf(this.tx, refs);
  }

  /**
   * The leaves (with their hashes, the level-0 nodes) and the nodes above them that they
   * complete, in one statement (one round trip). Hashes in hex. Both inserts see the same
   * snapshot and neither reads the other's table, so their order does not matter.
   */
  async insert(
    leaves: {
      indexes: string[];
      seqs: string[];
      eventIds: string[];
      tags: string[];
      hashes: string[];
    },
    nodes: { levels: number[]; indexes: string[]; hashes: string[] },
  ): Promise<void> {
    await this.tx.query(
      Prisma.sql`
            WITH leaves AS (
              INSERT INTO audit_tree_leaf (idx, seq, event_id, tag, hash)
              SELECT i, s, e, g, decode(h, 'hex')
                FROM unnest(${leaves.indexes}::bigint[], ${leaves.seqs}::bigint[],
                            ${leaves.eventIds}::uuid[], ${leaves.tags}::text[],
                            ${leaves.hashes}::text[]) AS v(i, s, e, g, h)
            )
            INSERT INTO audit_tree_node (level, idx, hash)
            SELECT l, i, decode(h, 'hex')
              FROM unnest(${nodes.levels}::int[], ${nodes.indexes}::bigint[],
                          ${nodes.hashes}::text[]) AS t(l, i, h)`,
      { preparedAs: 'tree_insert_with_leaf_hash' },
    );
  }
}

/**
 * One statement for any set of nodes, the (level, idx) pairs as two arrays: levels above 0 from
 * audit_tree_node, level 0 from audit_tree_leaf.hash or, for leaves appended before that column
 * existed, from audit_tree_node (both by primary key).
 */
async function nodesOf(db: HotSession, refs: NodeRef[]): Promise<StoredNode[]> {
  const levels = refs.map((r) => r.level);
  const indexes = refs.map((r) => String(r.index));
  const { rows } = await db.query<{ level: number; idx: string; hash: string }>(
    Prisma.sql`
            SELECT n.level::int AS level, n.idx::text AS idx, encode(n.hash, 'hex') AS hash
              FROM unnest(${levels}::int[], ${indexes}::bigint[]) AS w(level, idx)
              JOIN audit_tree_node n ON n.level = w.level AND n.idx = w.idx
            UNION ALL
            SELECT 0, l.idx::text, encode(l.hash, 'hex')
              FROM unnest(${levels}::int[], ${indexes}::bigint[]) AS w(level, idx)
              JOIN audit_tree_leaf l ON l.idx = w.idx
             WHERE w.level = 0 AND l.hash IS NOT NULL`,
    { preparedAs: 'tree_nodes_and_leaf_hashes' },
  );
  return rows.map((r) => ({
    level: r.level,
    idx: BigInt(r.idx),
    hash: Buffer.from(r.hash, 'hex'),
  }));
}

@Injectable()
export class TransparencyLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * One transaction outside Prisma's query pipeline (BEGIN, lock, last leaf, events, frontier
   * nodes, one insert, COMMIT): Prisma's model mapping, then its raw-query path, cost the
   * gateway measurable CPU for a loop that runs every second (measured with npm run bench).
   * One appender at a time across instances; a second one waits, then finds the work done.
   */
  withAppendLock<T>(fn: (tx: TreeAppend) => Promise<T>): Promise<T> {
    return this.prisma.hotTransaction(async (session) => {
      const tx = new TreeAppend(session);
      await tx.lock();
      return fn(tx);
    });
  }

  /**
   * What deciding on a checkpoint needs, every second on every instance: the tree's size and
   * the latest checkpoint's size and time (not its JWS), in one prepared statement outside
   * Prisma's pipeline (two Prisma reads a second were ~1 % of the gateway's CPU under load).
   */
  async checkpointState(): Promise<{
    treeSize: number;
    checkpointSize: number | null;
    checkpointAtMs: number | null;
  }> {
    const { rows } = await this.prisma.hotQuery<{
      last: string | null;
      size: string | null;
      at: number | null;
    }>(
      Prisma.sql`
            SELECT (SELECT idx FROM audit_tree_leaf ORDER BY idx DESC LIMIT 1)::text AS last,
                   c.tree_size::text AS size,
                   (extract(epoch FROM c.issued_at) * 1000)::float8 AS at
              FROM (SELECT 1) AS one
              LEFT JOIN LATERAL (SELECT tree_size, issued_at FROM audit_checkpoint
                                  ORDER BY tree_size DESC LIMIT 1) AS c ON true`,
      { preparedAs: 'tree_checkpoint_state' },
    );
    const { last, size, at } = rows[0];
    return {
      treeSize: last === null ? 0 : Number(last) + 1,
      checkpointSize: size === null ? null : Number(size),
      checkpointAtMs: at,
    };
  }

  lastLeafIndex(): Promise<{ idx: bigint } | null> {
    return this.prisma.auditTreeLeaf.findFirst({
      orderBy: { idx: 'desc' },
      select: { idx: true },
    });
  }

  nodes(refs: NodeRef[]): Promise<StoredNode[]> {
    return nodesOf({ query: (query, options) => this.prisma.hotQuery(query, options) }, refs);
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
