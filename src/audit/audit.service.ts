import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '../database/prisma.service.js';
import { ChainBreak, chainHash, ChainedFields, GENESIS_HASH, verifyRows } from './audit-chain.js';

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

interface Pending {
  input: AuditInput;
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
}

/**
 * The only writer of the audit log. One hash chain, written by a serialized writer that batches
 * whatever arrived while the previous batch was being committed: under load, many events share
 * one transaction (one lock, one round trip for the chain head, one multi-row insert), and each
 * caller's promise resolves only once its row is committed. Across instances, a transaction-level
 * advisory lock keeps the chain linear (no fork).
 */
@Injectable()
export class AuditService implements OnModuleDestroy {
  private readonly logger = new Logger(AuditService.name);
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly prisma: PrismaService) {}

  /** Resolves with the event id once it is durably written; rejects if it could not be. */
  record(input: AuditInput): Promise<string> {
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
          const ids = await this.writeBatch(batch.map((p) => p.input));
          batch.forEach((p, i) => p.resolve(ids[i]));
        } catch (err) {
          batch.forEach((p) => p.reject(err));
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private async writeBatch(inputs: AuditInput[]): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
      // Uses the primary key index backwards: one row read, whatever the log's size.
      const head = await tx.auditEvent.findFirst({
        orderBy: { seq: 'desc' },
        select: { hash: true },
      });
      let prevHash = head?.hash ?? GENESIS_HASH;
      const now = Date.now();
      const rows = inputs.map((input) => {
        const fields: ChainedFields = {
          id: randomUUID(),
          occurredAt: new Date(now),
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
          prevHash,
        };
        const hash = chainHash(fields);
        prevHash = hash;
        return { ...fields, details: fields.details ?? undefined, hash };
      });
      await tx.auditEvent.createMany({ data: rows as never });
      return rows.map((r) => r.id);
    });
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
