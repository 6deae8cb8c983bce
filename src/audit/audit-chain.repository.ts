/**
 * The audit chain's writes and the queries of its writer (AuditService): the fast INSERT, the
 * locked append, the chain's pages for verify, and the call intents still without an outcome.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import { Prisma, type AuditEvent } from '../generated/prisma/client.js';
import { ChainedFields, GENESIS_HASH } from './audit-chain.js';

/** A chained row as the writer inserts it. */
export type WrittenRow = ChainedFields & { hash: string };

/** Any lock id distinct from Prisma's migration lock; serializes chain writers across instances. */
const AUDIT_CHAIN_LOCK = 0x70617373; // "pass"
/** Serializes the sweep of interrupted calls across instances (one outcome per call). */
const INTERRUPTED_SWEEP_LOCK = 0x70617374; // "past"

/** A provider call intent (`provider.call`) still without its outcome. */
export interface OpenCall {
  seq: bigint;
  requestId: string;
  clientId: string | null;
  citizenId: string | null;
  consentId: string | null;
  datasetId: string | null;
  details: Record<string, unknown> | null;
}

/** The chain's head and append, inside the transaction that holds the chain's advisory lock. */
export interface LockedChain {
  readHead(): Promise<string>;
  insert(rows: WrittenRow[]): Promise<void>;
}

/** The sweep's query, inside the transaction that holds the sweep's advisory lock. */
export interface LockedSweep {
  openCalls(olderThan: Date, outcomeKinds: string[], limit: number): Promise<OpenCall[]>;
}

type Db = Pick<PrismaService, 'auditEvent' | '$queryRaw'>;

@Injectable()
export class AuditChainRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Fast path: the batch in one autocommitted statement (one round trip, no lock). One column
   * per array parameter, so that the text is the same whatever the batch size: prepared once
   * per pooled connection (PostgreSQL no longer parses and plans a VALUES list of up to 256 rows
   * of 16 parameters for every batch: ~20 µs of its CPU per event on the bench's machine). Rows
   * go in the arrays' order (`WITH ORDINALITY … ORDER BY`), which is the chain's: `seq` follows it.
   */
  async insertUnlocked(rows: WrittenRow[]): Promise<void> {
    const column = <T>(of: (r: WrittenRow) => T) => rows.map(of);
    // The fast path runs for every fetch: one statement outside Prisma's pipeline.
    await this.prisma.hotQuery(
      Prisma.sql`
        INSERT INTO audit_event (id, occurred_at, kind, actor, client_id, citizen_id, consent_id,
          dataset_id, outcome, http_status, duration_ms, request_id, payload_digest, details,
          prev_hash, hash)
        SELECT id, occurred_at, kind, actor, client_id, citizen_id, consent_id, dataset_id,
          outcome, http_status, duration_ms, request_id, payload_digest, details, prev_hash, hash
        FROM unnest(${column((r) => r.id)}::uuid[],
          ${column((r) => r.occurredAt.toISOString())}::timestamptz[],
          ${column((r) => r.kind)}::text[], ${column((r) => r.actor)}::text[],
          ${column((r) => r.clientId)}::text[], ${column((r) => r.citizenId)}::text[],
          ${column((r) => r.consentId)}::text[], ${column((r) => r.datasetId)}::text[],
          ${column((r) => r.outcome)}::text[], ${column((r) => r.httpStatus)}::int[],
          ${column((r) => r.durationMs)}::int[], ${column((r) => r.requestId)}::text[],
          ${column((r) => r.payloadDigest)}::text[],
          ${column((r) => (r.details === null ? null : JSON.stringify(r.details)))}::jsonb[],
          ${column((r) => r.prevHash)}::text[], ${column((r) => r.hash)}::text[])
          WITH ORDINALITY AS batch(id, occurred_at, kind, actor, client_id, citizen_id,
            consent_id, dataset_id, outcome, http_status, duration_ms, request_id,
            payload_digest, details, prev_hash, hash, position)
        ORDER BY position`,
      { preparedAs: 'audit_insert_batch' },
    );
  }

  /**
   * Locked path: `fn` runs in a transaction holding the chain's advisory lock, where it reads
   * the head and inserts (BEGIN, lock, head, insert, COMMIT).
   */
  withChainLock<T>(fn: (chain: LockedChain) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
      return fn({
        readHead: () => readHead(tx),
        insert: async (rows) => {
          const data = rows.map((r) => ({ ...r, details: r.details ?? undefined }));
          await tx.auditEvent.createMany({ data: data as never });
        },
      });
    });
  }

  /** `take` events after `after` (from the first when undefined), in sequence order. */
  eventsPage(after: bigint | undefined, take: number): Promise<AuditEvent[]> {
    return this.prisma.auditEvent.findMany({
      where: after === undefined ? {} : { seq: { gt: after } },
      orderBy: { seq: 'asc' },
      take,
    });
  }

  /**
   * Call intents without an outcome event of `outcomeKinds` (same request id and dataset),
   * `limit` of them, oldest first, each with the total.
   */
  callsWithoutOutcome(
    outcomeKinds: string[],
    limit: number,
  ): Promise<
    Array<{
      seq: bigint;
      requestId: string | null;
      consentId: string | null;
      at: Date;
      total: bigint;
    }>
  > {
    return this.prisma.$queryRaw`
      SELECT i.seq, i.request_id AS "requestId", i.consent_id AS "consentId",
             i.occurred_at AS "at", count(*) OVER () AS total
      FROM audit_event i
      WHERE i.kind = 'provider.call' AND ${withoutOutcome(outcomeKinds)}
      ORDER BY i.seq
      LIMIT ${limit}`;
  }

  /**
   * `fn` runs under the sweep's advisory lock, so that two instances never close the same
   * call twice. The embedded database has one instance, and one connection the batch writer
   * needs (the outcomes are written while `fn` runs): no lock, no transaction there.
   */
  withSweepLock<T>(fn: (sweep: LockedSweep) => Promise<T>): Promise<T> {
    if (this.prisma.embedded) return fn(sweepOn(this.prisma));
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${INTERRUPTED_SWEEP_LOCK})`);
        return fn(sweepOn(tx));
      },
      { timeout: 30_000 },
    );
  }
}

/** Uses the primary key index backwards: one row read, whatever the log's size. */
async function readHead(tx: Db): Promise<string> {
  const head = await tx.auditEvent.findFirst({
    orderBy: { seq: 'desc' },
    select: { hash: true },
  });
  return head?.hash ?? GENESIS_HASH;
}

/** A call intent `i` that no outcome event (same request id and dataset) answers yet. */
function withoutOutcome(outcomeKinds: string[]): Prisma.Sql {
  return Prisma.sql`NOT EXISTS (
    SELECT 1 FROM audit_event o
    WHERE o.request_id = i.request_id
      AND o.dataset_id IS NOT DISTINCT FROM i.dataset_id
      AND o.kind IN (${Prisma.join(outcomeKinds)}))`;
}

function sweepOn(db: Db): LockedSweep {
  return {
    openCalls: (olderThan, outcomeKinds, limit) => db.$queryRaw<OpenCall[]>`
          SELECT i.seq, i.request_id AS "requestId", i.client_id AS "clientId",
                 i.citizen_id AS "citizenId", i.consent_id AS "consentId",
                 i.dataset_id AS "datasetId", i.details
          FROM audit_event i
          WHERE i.kind = 'provider.call' AND i.occurred_at < ${olderThan}
            AND i.request_id IS NOT NULL AND ${withoutOutcome(outcomeKinds)}
          ORDER BY i.seq
          LIMIT ${limit}`,
  };
}
