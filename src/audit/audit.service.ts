/**
 * The audit log's writer and reader (hash chain, batching, outage buffer, call-intent sweep).
 * Over 350 lines: batching, the chain lock and the durable buffer guard one invariant (every
 * event chained once, in order), kept in one file so that it can be read at once.
 */
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ChainBreak, chainHash, ChainedFields, GENESIS_HASH, verifyRows } from './audit-chain.js';
import { AuditChainRepository, type OpenCall, type WrittenRow } from './audit-chain.repository.js';
import { eventLeafHash, toLeafEvent } from './audit-leaf.js';
import { AuditOutcomes, type AuditOutcome } from './audit-outcome.js';

export interface AuditInput {
  kind: string;
  actor: string;
  /** See audit-outcome.ts: a closed vocabulary, or a stable error code via errorOutcome(). */
  outcome: AuditOutcome;
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

const MAX_BATCH = 256;
/** Attempts at appending one batch before its callers are told it could not be written. */
const MAX_CHAIN_ATTEMPTS = 8;
/** After losing a race for the head, use the locked path this long (others are writing). */
const CONTENDED_MS = 1000;

/**
 * A call intent older than this without its outcome was interrupted (its process died): no
 * provider call lasts that long (provider timeout and queue wait are at most a minute each, a
 * drain at most DRAIN_TIMEOUT_SECONDS), so no instance still waits for it.
 */
export const INTERRUPTED_AFTER_MS = 10 * 60_000;
const INTERRUPTED_SWEEP_EVERY_MS = 60_000;
const INTERRUPTED_SWEEP_BATCH = 500;

/**
 * The events that close a provider call (`provider.call`, same request id and dataset): the
 * consented fetch's (src/exchange), the API FranceConnectée's (src/france-connect-data), whose
 * call can also end in a refusal (a provider's 4xx), and the citizen's preview (src/citizen),
 * whose one request calls several providers (hence the dataset in the match).
 */
const CALL_OUTCOME_KINDS = [
  'consent.previewed',
  'exchange.fetch',
  'exchange.fetch_failed',
  'exchange.france_connect_fetch',
  'exchange.france_connect_fetch_failed',
  'exchange.france_connect_fetch_refused',
];

/** Events kept for a later write (recordDurably) while the database is away; beyond, dropped. */
const MAX_DURABLE_BACKLOG = 10_000;
/** Retry delays of that backlog: from 250 ms, doubled, at most 5 s. */
const DURABLE_RETRY_FIRST_MS = 250;
const DURABLE_RETRY_MAX_MS = 5000;

/**
 * Characters PostgreSQL refuses in `text` and `jsonb` (NUL; SQLSTATE 22021 / 22P05), and the
 * lone surrogates that have no UTF-8 encoding: replaced by U+FFFD. Without this one request's
 * text (a path id, a header) would make the whole batch, other requests' events with it, fail.
 * The sanitised text is what is hashed and stored, so the chain verifies.
 */
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function storableText(value: string): string {
  return value.replace(UNSTORABLE, '\uFFFD');
}

function storable<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [storableText(k), storable(v)]),
    ) as T;
  }
  return value;
}

function toChainedFields(input: AuditInput, at: Date): Omit<ChainedFields, 'prevHash'> {
  const text = (v: string | null | undefined) => (v == null ? null : storableText(v));
  return {
    id: randomUUID(),
    occurredAt: at,
    kind: storableText(input.kind),
    actor: storableText(input.actor),
    clientId: text(input.clientId),
    citizenId: text(input.citizenId),
    consentId: text(input.consentId),
    datasetId: text(input.datasetId),
    outcome: storableText(input.outcome),
    httpStatus: input.httpStatus ?? null,
    durationMs: input.durationMs ?? null,
    requestId: text(input.requestId),
    payloadDigest: text(input.payloadDigest),
    details: input.details == null ? null : storable(input.details),
  };
}

/**
 * The statement failed because of what one event holds (SQLSTATE class 22, data exception, or
 * 23, integrity violation, other than the race on prev_hash): worth retrying event by event, so
 * that only the guilty event's caller fails. A lost connection is not: every event would fail.
 */
function isDataError(err: unknown): boolean {
  const e = err as { code?: unknown; meta?: { code?: unknown }; cause?: { code?: unknown } } | null;
  const code = [e?.code, e?.meta?.code, e?.cause?.code].find((c) => typeof c === 'string');
  return typeof code === 'string' && /^2[23]/.test(code) && code !== '23505';
}

/**
 * The insert lost a race: another writer chained onto the same head first. Prisma reports it
 * as P2002 (locked path), the driver as SQLSTATE 23505 (fast path, PrismaService.hotQuery).
 */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'P2002' || code === '23505';
}

/** Leaf hashes kept for the transparency log's appender: about 15 s of events at full load. */
const MAX_WRITTEN_REMEMBERED = 20_000;

function leafHashOf(row: WrittenRow): string {
  return eventLeafHash(toLeafEvent(row)).toString('hex');
}

/** A written event as the transparency log will take it in (see audit-leaf.ts). */
export interface RecordedEvent {
  id: string;
  /** RFC 9162 leaf hash, hex: what an inclusion proof of this event starts from. */
  leafHash: string;
}

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
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AuditService.name);
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  /** Hash of the last row this instance wrote (or read): where its next batch chains on. */
  private head: string | null = null;
  /** Until then, append under the advisory lock (another instance won a race lately). */
  private lockedUntil = 0;
  /** Events to write as soon as the database takes them again (recordDurably). */
  private backlog: AuditInput[] = [];
  private backlogTimer: NodeJS.Timeout | null = null;
  private backlogDelay = DURABLE_RETRY_FIRST_MS;
  private closing = false;
  private stopping: Promise<void> | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  /** Leaf hashes of the events this instance wrote, by chain hash (see writtenLeafHash). */
  private readonly written = new Map<string, string>();

  constructor(private readonly chain: AuditChainRepository) {}

  /** Resolves with the event id once it is durably written; rejects if it could not be. */
  record(input: AuditInput): Promise<string> {
    return this.enqueue(input).then((row) => row.id);
  }

  /** As record, and also the event's leaf hash (named in a fetch answer's provenance). */
  recordEvent(input: AuditInput): Promise<RecordedEvent> {
    return this.enqueue(input).then((row) => ({
      id: row.id,
      leafHash: this.written.get(row.hash) ?? leafHashOf(row),
    }));
  }

  /**
   * The leaf hash of an event this instance wrote, by its chain hash, if it is still remembered
   * (the transparency log's appender takes it instead of reading the event back and hashing it
   * again; it reads back what other instances wrote). A row's chain hash commits to every field
   * the leaf hash covers, so a row whose `hash` column matches is the row that was hashed.
   */
  writtenLeafHash(chainHash: string): string | undefined {
    return this.written.get(chainHash);
  }

  /** Forgets leaf hashes once the transparency log holds them. */
  forgetWritten(chainHashes: string[]): void {
    for (const hash of chainHashes) this.written.delete(hash);
  }

  private remember(rows: WrittenRow[]): void {
    for (const row of rows) this.written.set(row.hash, leafHashOf(row));
    // Bounded: an instance whose events another instance's appender takes in never forgets them
    // by use. The oldest go first (a Map iterates in insertion order).
    for (const oldest of this.written.keys()) {
      if (this.written.size <= MAX_WRITTEN_REMEMBERED) break;
      this.written.delete(oldest);
    }
  }

  private enqueue(input: AuditInput): Promise<WrittenRow> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.flushing) this.flushing = this.drain();
    });
  }

  /**
   * For an event that must be written even if the database is away right now (the outcome of a
   * provider call whose intent is already in the log): written now if it can be, else kept in
   * memory and retried with backoff until it is (bounded; the process's stop makes one last
   * attempt). Nobody waits for it.
   */
  recordDurably(input: AuditInput): void {
    this.record(input).catch((err: unknown) => {
      if (isDataError(err)) {
        this.logger.error({ err, kind: input.kind }, 'audit event refused by the database');
        return;
      }
      if (this.backlog.length >= MAX_DURABLE_BACKLOG) {
        this.logger.error({ kind: input.kind }, 'audit backlog full: event dropped');
        return;
      }
      this.backlog.push(input);
      this.scheduleBacklog();
    });
  }

  /** Events waiting in memory for the database (recordDurably). */
  get backlogSize(): number {
    return this.backlog.length;
  }

  private scheduleBacklog(): void {
    if (this.backlogTimer || this.closing) return;
    this.backlogTimer = setTimeout(() => void this.flushBacklog(), this.backlogDelay);
    this.backlogTimer.unref();
  }

  private async flushBacklog(): Promise<boolean> {
    this.backlogTimer = null;
    const pending = this.backlog;
    this.backlog = [];
    const failed: AuditInput[] = [];
    await Promise.all(
      pending.map((input) =>
        this.record(input).catch((err: unknown) => {
          if (!isDataError(err)) failed.push(input);
        }),
      ),
    );
    if (failed.length === 0) {
      this.backlogDelay = DURABLE_RETRY_FIRST_MS;
      if (pending.length > 0) this.logger.log({ events: pending.length }, 'audit backlog written');
      return this.backlog.length === 0;
    }
    this.backlog.unshift(...failed);
    this.backlogDelay = Math.min(this.backlogDelay * 2, DURABLE_RETRY_MAX_MS);
    this.scheduleBacklog();
    return false;
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
          if (batch.length === 1 || !isDataError(err)) {
            batch.forEach((p) => p.reject(err));
            continue;
          }
          // One event the database refuses must fail only its own request: one by one.
          for (const p of batch) {
            try {
              const [row] = await this.writeBatch([p.input]);
              p.resolve(row);
            } catch (one) {
              p.reject(one);
            }
          }
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
          ? await this.insertAfter(this.head!, fields, (r) => this.chain.insertUnlocked(r))
          : await this.chain.withChainLock(async (locked) =>
              this.insertAfter(await locked.readHead(), fields, (r) => locked.insert(r)),
            );
        this.head = rows[rows.length - 1].hash;
        this.remember(rows);
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
    insert: (rows: WrittenRow[]) => Promise<void>,
  ): Promise<WrittenRow[]> {
    let prev = prevHash;
    const rows = fields.map((f) => {
      const chained: ChainedFields = { ...f, prevHash: prev };
      const hash = chainHash(chained);
      prev = hash;
      return { ...chained, hash };
    });
    await insert(rows);
    return rows;
  }

  /** Recomputes the whole chain in pages; reports the first broken link. */
  async verify(): Promise<{ ok: boolean; checked: number; broken?: ChainBreak }> {
    let prev = GENESIS_HASH;
    let checked = 0;
    let after: bigint | undefined;
    for (;;) {
      const page = await this.chain.eventsPage(after, 5000);
      if (page.length === 0) return { ok: true, checked };
      const result = verifyRows(page as never, prev);
      if (!result.ok) {
        // Counted up to the broken row, earlier rows of this page included.
        const at = page.findIndex((r) => r.id === result.broken.id);
        return { ok: false, checked: checked + at + 1, broken: result.broken };
      }
      prev = result.lastHash;
      checked += page.length;
      after = page[page.length - 1].seq;
    }
  }

  /**
   * Call intents (`provider.call`) that have no outcome event (CALL_OUTCOME_KINDS, with the
   * same request id): provider calls whose result the log does not know (the process died
   * between the two, or the outcome is still in some instance's backlog). `limit` of them are
   * returned, oldest first, with their total.
   */
  async callsWithoutOutcome(limit = 20): Promise<{
    count: number;
    calls: Array<{ seq: string; requestId: string | null; consentId: string | null; at: Date }>;
  }> {
    const rows = await this.chain.callsWithoutOutcome(CALL_OUTCOME_KINDS, limit);
    return {
      count: rows.length > 0 ? Number(rows[0].total) : 0,
      calls: rows.map((r) => ({
        seq: r.seq.toString(),
        requestId: r.requestId,
        consentId: r.consentId,
        at: r.at,
      })),
    };
  }

  /**
   * Gives every call intent older than `olderThan` that has no outcome the outcome
   * `exchange.fetch_failed` / `interrupted` (the process that made the call died before writing
   * it), under an advisory lock so that two instances never close the same call twice.
   * Returns how many were closed.
   */
  async closeInterruptedCalls(olderThan: Date): Promise<number> {
    return this.chain.withSweepLock(async (sweep) => {
      const open = await sweep.openCalls(olderThan, CALL_OUTCOME_KINDS, INTERRUPTED_SWEEP_BATCH);
      return this.closeOpenCalls(open);
    });
  }

  private async closeOpenCalls(open: OpenCall[]): Promise<number> {
    // Written (committed by the batch writer) while the lock is held.
    await Promise.all(open.map((call) => this.record(interruptedOutcome(call))));
    if (open.length > 0) {
      this.logger.warn(
        { calls: open.length },
        'provider calls without outcome closed as interrupted',
      );
    }
    return open.length;
  }

  /** At start, then every minute: calls left open by a process that died get their outcome. */
  onApplicationBootstrap(): void {
    const sweep = () =>
      void this.closeInterruptedCalls(new Date(Date.now() - INTERRUPTED_AFTER_MS)).catch((err) =>
        this.logger.warn({ err: (err as Error).message }, 'interrupted calls sweep failed'),
      );
    sweep();
    this.sweeper = setInterval(sweep, INTERRUPTED_SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /**
   * Called by Nest and, first, by TransparencyLogService (whose last checkpoint must cover the
   * queued events): the backlog gets its last attempt once.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping ??= this.stop();
    await this.stopping;
    while (this.flushing) await this.flushing;
  }

  private async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    // Let in-flight events land before the database closes, and give the backlog a last chance.
    while (this.flushing) await this.flushing;
    this.closing = true;
    if (this.backlogTimer) clearTimeout(this.backlogTimer);
    this.backlogTimer = null;
    if (this.backlog.length > 0) {
      await this.flushBacklog();
      if (this.backlog.length > 0) {
        this.logger.error(
          { events: this.backlog.length },
          'audit events lost at shutdown: the database did not take them',
        );
      }
    }
    while (this.flushing) await this.flushing;
  }
}

/**
 * The outcome that closes a call whose process died: under the caller's own kind (the API
 * FranceConnectée's "via FranceConnect", the citizen's preview), else the consented fetch's.
 */
function interruptedOutcome(call: OpenCall): AuditInput {
  const base = {
    actor: 'system',
    outcome: AuditOutcomes.interrupted,
    clientId: call.clientId,
    citizenId: call.citizenId,
    consentId: call.consentId,
    datasetId: call.datasetId,
    requestId: call.requestId,
  };
  const common = { code: 'interrupted', intentSeq: call.seq.toString() };
  if (call.details?.consentRequestId !== undefined) {
    return {
      ...base,
      kind: 'consent.previewed',
      details: {
        ...common,
        consentRequestId: call.details.consentRequestId,
        providerId: call.details.providerId ?? null,
      },
    };
  }
  const viaFranceConnect = call.details?.via === 'franceconnect';
  return {
    ...base,
    kind: viaFranceConnect ? 'exchange.france_connect_fetch_failed' : 'exchange.fetch_failed',
    details: {
      ...common,
      provider: call.details?.provider ?? null,
      ...(viaFranceConnect ? { via: 'franceconnect', scopes: call.details?.scopes ?? [] } : {}),
    },
  };
}
