import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '../database/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import { ChainBreak, chainHash, ChainedFields, GENESIS_HASH, verifyRows } from './audit-chain.js';
import { eventLeafHash } from './audit-leaf.js';

export interface AuditInput {
  kind: string;
  actor: string;
  outcome: string;
  clientId?: string | null;
  citizenId?: string | null;
  consentId?: string | null;
  datasetId?: string | null;
  httpStatus?: number | null;
  durationMs?: number | null;
  requestId?: string | null;
  payloadDigest?: string | null;
  details?: Record<string, unknown> | null;
}

/** Any lock id distinct from Prisma's migration lock; serializes chain writers across instances. */
const AUDIT_CHAIN_LOCK = 0x70617373; // "pass"
const MAX_BATCH = 256;
/** Attempts at appending one batch before its callers are told it could not be written. */
const MAX_CHAIN_ATTEMPTS = 8;
/** After losing a race for the head, use the locked path this long (others are writing). */
const CONTENDED_MS = 1000;

function toChainedFields(input: AuditInput, at: Date): Omit<ChainedFields, 'prevHash'> {
  return {
    id: randomUUID(),
    occurredAt: at,
    kind: input.kind,
    actor: input.actor,
    clientId: input.clientId ?? null,
    citizenId: input.citizenId ?? null,
    consentId: input.consentId ?? null,
    datasetId: input.datasetId ?? null,
    outcome: input.outcome,
    httpStatus: input.httpStatus ?? null,
    durationMs: input.durationMs ?? null,
    requestId: input.requestId ?? null,
    payloadDigest: input.payloadDigest ?? null,
    details: input.details ?? null,
  };
}

/**
 * The insert lost a race: another writer chained onto the same head first. Prisma reports it
 * as P2002 (locked path), the driver as SQLSTATE 23505 (fast path, PrismaService.hotQuery).
 */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'P2002' || code === '23505';
}

/** A written event as the transparency log will take it in (see audit-leaf.ts). */
export interface RecordedEvent {
  id: string;
  /** RFC 9162 leaf hash, hex: what an inclusion proof of this event starts from. */
  leafHash: string;
}

type WrittenRow = ChainedFields & { hash: string };

interface Pending {
  input: AuditInput;
  resolve: (row: WrittenRow) => void;
  reject: (err: unknown) => void;
}

/**
 * The only writer of the audit log. One hash chain, written by a serialized writer that batches
 * whatever arrived while the previous batch was being committed: under load, many events share
 * one multi-row insert, and each caller's promise resolves only once its row is committed.
 * A batch is one INSERT chained onto the head this instance knows (one round trip); the unique
 * index on prev_hash keeps the chain linear across instances (no fork), and when another
 * instance appended meanwhile the batch is re-chained under an advisory lock (see writeBatch).
 * Measured on the benchmark's machine: a single event costs ~1 round trip instead of the five
 * of a locked transaction (BEGIN, lock, head, insert, COMMIT).
 */
@Injectable()
export class AuditService implements OnModuleDestroy {
  private readonly logger = new Logger(AuditService.name);
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  /** Hash of the last row this instance wrote (or read): where its next batch chains on. */
  private head: string | null = null;
  /** Until then, append under the advisory lock (another instance won a race lately). */
  private lockedUntil = 0;

  constructor(private readonly prisma: PrismaService) {}

  /** Resolves with the event id once it is durably written; rejects if it could not be. */
  record(input: AuditInput): Promise<string> {
    return this.enqueue(input).then((row) => row.id);
  }

  /** As record, and also the event's leaf hash (named in a fetch answer's provenance). */
  recordEvent(input: AuditInput): Promise<RecordedEvent> {
    return this.enqueue(input).then((row) => ({
      id: row.id,
      leafHash: eventLeafHash({
        ...row,
        occurredAt: row.occurredAt.toISOString(),
        details: row.details ?? null,
      }).toString('hex'),
    }));
  }

  private enqueue(input: AuditInput): Promise<WrittenRow> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.flushing) this.flushing = this.drain();
    });
  }

  /** Fire-and-forget for events whose loss must not block the user (still logged on failure). */
  recordQuietly(input: AuditInput): void {
    this.record(input).catch((err) =>
      this.logger.error({ err, kind: input.kind }, 'audit event could not be written'),
    );
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const rows = await this.writeBatch(batch.map((p) => p.input));
          batch.forEach((p, i) => p.resolve(rows[i]));
        } catch (err) {
          batch.forEach((p) => p.reject(err));
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  /**
   * Appends one batch to the chain, in one INSERT when it can. The unique index on `prev_hash`
   * is what keeps the chain linear: a row can have one successor only, so two writers that
   * chained on the same head cannot both commit, whatever instance they run on.
   *
   * - Fast path: chain onto `head` (the last hash this instance wrote or read) and insert the
   *   batch in one autocommitted statement: one round trip, no lock, no transaction.
   * - If another writer appended meanwhile, the insert violates the index and nothing is
   *   written; then, and for a second after (several instances are writing), take the locked
   *   path: a transaction holding the advisory lock reads the head and inserts. It can still
   *   lose to another instance's fast path (the index says so): then retry, a few times.
   */
  private async writeBatch(inputs: AuditInput[]): Promise<WrittenRow[]> {
    const now = new Date();
    const fields = inputs.map((input) => toChainedFields(input, now));
    for (let attempt = 1; ; attempt++) {
      const optimistic = this.head !== null && Date.now() >= this.lockedUntil;
      try {
        const rows = optimistic
          ? await this.insertAfter(this.head!, fields)
          : await this.prisma.$transaction(async (tx) => {
              await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
              return this.insertAfter(await this.readHead(tx), fields, tx);
            });
        this.head = rows[rows.length - 1].hash;
        return rows;
      } catch (err) {
        this.head = null;
        if (!isUniqueViolation(err) || attempt >= MAX_CHAIN_ATTEMPTS) throw err;
        this.lockedUntil = Date.now() + CONTENDED_MS;
      }
    }
  }

  /** Chains `fields` onto `prevHash` and inserts them in one statement. */
  private async insertAfter(
    prevHash: string,
    fields: Array<Omit<ChainedFields, 'prevHash'>>,
    tx?: Pick<PrismaService, 'auditEvent'>,
  ): Promise<WrittenRow[]> {
    let prev = prevHash;
    const rows = fields.map((f) => {
      const chained: ChainedFields = { ...f, prevHash: prev };
      const hash = chainHash(chained);
      prev = hash;
      return { ...chained, hash };
    });
    if (tx) {
      const data = rows.map((r) => ({ ...r, details: r.details ?? undefined }));
      await tx.auditEvent.createMany({ data: data as never });
    } else {
      // The fast path runs for every fetch: one statement outside Prisma's pipeline.
      await this.prisma.hotQuery(Prisma.sql`
        INSERT INTO audit_event (id, occurred_at, kind, actor, client_id, citizen_id, consent_id,
          dataset_id, outcome, http_status, duration_ms, request_id, payload_digest, details,
          prev_hash, hash)
        VALUES ${Prisma.join(
          rows.map(
            (r) => Prisma.sql`(${r.id}::uuid, ${r.occurredAt.toISOString()}::timestamptz,
              ${r.kind}, ${r.actor}, ${r.clientId}, ${r.citizenId}, ${r.consentId},
              ${r.datasetId}, ${r.outcome}, ${r.httpStatus}::int, ${r.durationMs}::int,
              ${r.requestId}, ${r.payloadDigest},
              ${r.details === null ? null : JSON.stringify(r.details)}::jsonb,
              ${r.prevHash}, ${r.hash})`,
          ),
        )}`);
    }
    return rows;
  }

  /** Uses the primary key index backwards: one row read, whatever the log's size. */
  private async readHead(tx: Pick<PrismaService, 'auditEvent'>): Promise<string> {
    const head = await tx.auditEvent.findFirst({
      orderBy: { seq: 'desc' },
      select: { hash: true },
    });
    return head?.hash ?? GENESIS_HASH;
  }

  /** Recomputes the whole chain in pages; reports the first broken link. */
  async verify(): Promise<{ ok: boolean; checked: number; broken?: ChainBreak }> {
    let prev = GENESIS_HASH;
    let checked = 0;
    let after: bigint | undefined;
    for (;;) {
      const page = await this.prisma.auditEvent.findMany({
        where: after === undefined ? {} : { seq: { gt: after } },
        orderBy: { seq: 'asc' },
        take: 5000,
      });
      if (page.length === 0) return { ok: true, checked };
      const result = verifyRows(page as never, prev);
      if (!result.ok) return { ok: false, checked: checked + 1, broken: result.broken };
      prev = result.lastHash;
      checked += page.length;
      after = page[page.length - 1].seq;
    }
  }

  async onModuleDestroy(): Promise<void> {
    // Let in-flight events land before the database closes.
    while (this.flushing) await this.flushing;
  }
}
