/**
 * The consented fetch (`GET /api/v1/consents/{id}/data/{datasetId}`): every rule of "no data
 * without consent" and "no data without audit" checked in the request itself, then the live
 * call to the provider.
 *
 * Database round trips of a successful fetch (the benchmark's hot path):
 *   1. one statement (consent's `readContextAndReserve`, a CTE with a conditional UPDATE): the
 *      consent, its habilitation, the dataset's and provider's status and version, the sealed
 *      identity — primary-key lookups joined — and the authoritative budget check that spends
 *      one fetch; one round trip and one commit instead of a SELECT then an UPDATE (issue 14);
 *   2. the call intent (`provider.call`), committed before the identity leaves for the provider;
 *   3. the audit write of the outcome (`AuditService.recordEvent`: its id and leaf hash go in the
 *      provenance).
 *   Steps 2 and 3, with the signed assertion and the provider call between them, are the
 *   exchange's FetchPipeline, shared with the citizen's preview and the API FranceConnectée.
 *   Audit writes are batched with whatever other events are waiting: under load many fetches
 *   share one statement.
 * Nothing else: the bearer guard's client status is cached (ClientStatusCache, invalidated on
 * suspension), the registry's targets (decrypted provider credentials, compiled schema key) are
 * cached in process and checked against the versions query 1 returns, and the identity pivot is
 * decrypted here from the row of query 1 (two AES-GCM operations, a few microseconds) instead of
 * being read again. A refusal is told from the same row (retried only when nothing but clocks
 * explains it) and costs its audit write.
 *
 * Nothing about a consent is cached across requests: a revocation (status and key changed in
 * one statement) is seen by the very next request on every instance, without any message between
 * instances. The registry cache cannot serve a disabled dataset or provider either: their
 * status comes from query 1, and a version change reloads the targets (./fetch-targets.ts).
 *
 * Somewhat over ~350 lines on purpose: the fetch's refusals (`judge`, `readAndReserve`) and
 * their audit are read together with the statement they interpret; apart, each half would
 * need the other open beside it.
 */
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AuditOutcomes,
  AuditService,
  errorOutcome,
  type AuditInput,
  type AuditOutcome,
} from '../audit/index.js';
import { ApiError } from '../common/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import {
  FetchBudgetService,
  type FetchBudgetContract,
  type FetchContextRow,
  ConsentLifecycleService,
  isUuid,
  openSealedIdentity,
} from '../consent/index.js';
import type { AuthenticatedClient } from '../oauth/index.js';
import { DATASET_ID, isHabilitationActive, RegistryService } from '../registry/index.js';
import type { ConsentedFetchResponseDto } from './dto/consented-fetch.dto.js';
import { FetchErrors } from './errors.js';
import type { IdentityPivot } from './exchange.types.js';
import { CALL_INTENT_AUDIT_KIND, FetchPipeline } from './fetch-pipeline.js';
import { FetchTargetsCache } from './fetch-targets.js';

export const FETCH_AUDIT_KIND = 'exchange.fetch';
export const FETCH_REFUSED_AUDIT_KIND = 'exchange.fetch_refused';
export const FETCH_FAILED_AUDIT_KIND = 'exchange.fetch_failed';
/** Re-exported: the call intent's kind is the fetch pipeline's (./fetch-pipeline.ts). */
export { CALL_INTENT_AUDIT_KIND };

/**
 * Reservation attempts when nothing but clocks explain a refused reservation: the statement
 * compares the stored instant of the last fetch (another instance's clock) with ours.
 */
const MAX_RESERVE_ATTEMPTS = 4;

interface FetchRequest {
  client: AuthenticatedClient;
  consentId: string;
  datasetId: string;
  requestId: string;
  /** The client's own `X-Request-Id`, recorded beside ours (not unique: never a key). */
  correlationId?: string;
  started: number;
}

@Injectable()
export class ConsentedFetchService {
  private readonly logger = new Logger(ConsentedFetchService.name);
  /** The registry's targets, checked against the versions of the fetch's one statement. */
  private readonly targets: FetchTargetsCache;

  constructor(
    private readonly registry: RegistryService,
    @Inject(FetchBudgetService) private readonly consents: FetchBudgetContract,
    private readonly lifecycle: ConsentLifecycleService,
    private readonly pipeline: FetchPipeline,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.targets = new FetchTargetsCache(registry);
  }

  /**
   * Fetches `datasetId` under consent `consentId` for `client` (already authenticated and
   * active: ClientAuthGuard). Resolves with the data once its audit event is written; throws an
   * ApiError otherwise (codes in ./errors.ts).
   */
  async fetch(
    client: AuthenticatedClient,
    consentId: string,
    datasetId: string,
    requestId: string,
    correlationId?: string,
  ): Promise<ConsentedFetchResponseDto> {
    const req: FetchRequest = {
      client,
      consentId,
      datasetId,
      requestId,
      correlationId,
      started: performance.now(),
    };
    // Ids from the URL: anything malformed is "not found" before it reaches SQL. Not audited:
    // it names nothing that exists.
    if (!isUuid(consentId)) throw FetchErrors.consentNotFound();
    if (!DATASET_ID.test(datasetId)) throw FetchErrors.datasetNotFound();
    // RFC 6750 §3.1: a token narrowed at issuance (`scope`) does not reach other datasets. A
    // dataset nobody registered is "not found" instead (the lookup is on this refusal path only).
    if (!client.scopes.includes(datasetId)) {
      if (!(await this.registry.datasetExists(datasetId))) {
        return this.refuse(req, FetchErrors.datasetNotFound(), null);
      }
      return this.refuse(req, FetchErrors.insufficientScope(datasetId), null);
    }

    const reserved = await this.readAndReserve(req);
    if (!reserved.ok) return this.refuse(req, reserved.error, reserved.row, reserved.at);
    const { row } = reserved;
    // The value the reservation replaced (read by the same statement), put back on release.
    const reservation = { at: reserved.at, previous: row.lastFetches?.[datasetId] ?? null };

    const targets = await this.targets.get(row, datasetId);
    if (!targets) {
      await this.release(row.id, datasetId, reservation);
      return this.refuse(req, FetchErrors.datasetUnavailable(datasetId), row);
    }

    // From here the reservation is held: given back on any failure but "data delivered".
    let identity: IdentityPivot;
    try {
      identity = this.openIdentity(row);
    } catch {
      await this.release(row.id, datasetId, reservation);
      return this.refuse(req, FetchErrors.consentRevoked(), row);
    }

    const provider = targets.provider.id;
    const { data, fetchedAt, audited } = await this.pipeline.run({
      provider: targets.provider,
      dataset: targets.dataset,
      identity,
      assertion: {
        providerId: provider,
        consentId: row.id,
        datasetId,
        purpose: row.purpose,
        clientId: client.clientId,
        recipient: client.siret,
      },
      requestId,
      label: 'consented fetch',
      // Given back on any failure but "data delivered".
      release: () => this.release(row.id, datasetId, reservation),
      events: {
        intent: () =>
          this.event(req, row, CALL_INTENT_AUDIT_KIND, AuditOutcomes.started, {
            details: { provider },
          }),
        delivered: (facts) =>
          this.event(req, row, FETCH_AUDIT_KIND, AuditOutcomes.served, {
            httpStatus: 200,
            payloadDigest: facts.payloadDigest,
            details: {
              provider,
              providerDurationMs: facts.providerDurationMs,
              attempts: facts.attempts,
            },
          }),
        failed: (error) =>
          this.event(
            req,
            row,
            FETCH_FAILED_AUDIT_KIND,
            errorOutcome(error?.code ?? 'internal_error'),
            {
              httpStatus: error?.getStatus() ?? 500,
              details: { provider },
            },
          ),
      },
    });
    return {
      data,
      provenance: {
        provider,
        dataset: datasetId,
        fetchedAt,
        consentId: row.id,
        requestId,
        // The transparency log's leaf of this access: GET /api/v1/audit/proof/inclusion.
        auditEventId: audited.id,
        auditLeafHash: audited.leafHash,
      },
    };
  }

  // ------------------------------------------------------------------------------ the rules

  /**
   * Steps 2 to 4 on one row, judged at `now` (expiry is judged here, whatever the status column
   * says): the conditions readContextAndReserve's UPDATE checks, in words, to tell which failed.
   * The order gives the most useful answer first: a revoked consent is "revoked" even if it has
   * expired since.
   */
  private judge(row: FetchContextRow, datasetId: string, now: Date): ApiError | null {
    const at = now.getTime();
    if (row.status === 'revoked') return FetchErrors.consentRevoked();
    if (row.status === 'expired' || row.expiresAtMs <= at) return FetchErrors.consentExpired();
    if (!row.datasets.includes(datasetId)) return FetchErrors.datasetNotInConsent(datasetId);
    // The registry's habilitation rule, on the habilitation the statement read.
    const habilitation = {
      status: row.habStatus,
      validFrom: row.habValidFromMs,
      validTo: row.habValidToMs,
      datasets: row.habDatasets,
    };
    if (!isHabilitationActive(habilitation, now, [datasetId])) {
      return FetchErrors.habilitationInactive();
    }
    if (row.datasetStatus !== 'active' || row.providerStatus !== 'active') {
      return FetchErrors.datasetUnavailable(datasetId);
    }
    return null;
  }

  /**
   * Reads the context and takes one fetch from the budget in one statement (the UPDATE in it is
   * the authoritative check). When nothing was spent, the row it read says why: someone else's
   * or no consent, revoked or expired, habilitation or dataset gone, `once` already served,
   * periodic interval not elapsed. If nothing explains it (the interval had elapsed by our
   * clock but not by the instance that fetched last: clocks differ by milliseconds, or a
   * concurrent change the statement's snapshot predates), try again with a fresh reading.
   */
  private async readAndReserve(
    req: FetchRequest,
  ): Promise<
    | { ok: true; row: FetchContextRow; at: Date }
    | { ok: false; error: ApiError; row: FetchContextRow | null; at?: Date }
  > {
    const { consentId, datasetId, client } = req;
    for (let attempt = 1; ; attempt++) {
      // The clock is read now; the reservation is stored as this instant, to release exactly it.
      const at = new Date();
      const row = await this.consents.readContextAndReserve({
        consentId,
        datasetId,
        clientUuid: client.id,
        at,
      });
      // Someone else's consent is answered exactly like a missing one (no enumeration).
      if (!row || row.clientUuid !== client.id) {
        return { ok: false, error: FetchErrors.consentNotFound(), row: null };
      }
      if (row.reserved) return { ok: true, row, at };
      const refuse = (error: ApiError) => ({ ok: false as const, error, row, at });
      const refusal = this.judge(row, datasetId, at);
      if (refusal) return refuse(refusal);
      const last = row.lastFetches?.[datasetId];
      if (last !== undefined) {
        if (row.fetchMode === 'once') return refuse(FetchErrors.fetchBudgetExhausted(datasetId));
        const next = Date.parse(last) + row.minFetchIntervalSeconds * 1000;
        if (next > at.getTime()) {
          const seconds = Math.max(1, Math.ceil((next - at.getTime()) / 1000));
          return refuse(FetchErrors.fetchTooSoon(datasetId, seconds));
        }
      }
      if (attempt >= MAX_RESERVE_ATTEMPTS) {
        return refuse(
          row.fetchMode === 'once'
            ? FetchErrors.fetchBudgetExhausted(datasetId)
            : FetchErrors.fetchTooSoon(datasetId, 1),
        );
      }
      this.logger.debug(
        { consentId, datasetId, attempt },
        'fetch reservation refused within clock skew; retrying',
      );
    }
  }

  /**
   * The identity pivot, decrypted from the row of readContextAndReserve with the consent's own key. Safe to
   * use after the reservation: revocation and expiry destroy the key in the same statement that
   * changes the status, so a row read before a reservation that succeeded still held a live
   * key. Throws when the key is gone or does not open (tampered row, wrong master key).
   */
  private openIdentity(row: FetchContextRow): IdentityPivot {
    if (!row.wrappedKey || !row.identityCiphertext) throw new Error('identity key destroyed');
    try {
      return openSealedIdentity(this.config.masterKey, row.id, row);
    } catch (err) {
      this.logger.error({ err, consentId: row.id }, 'consent identity could not be decrypted');
      throw err;
    }
  }

  private async release(
    consentId: string,
    datasetId: string,
    reservation: { at: Date; previous: string | null },
  ): Promise<void> {
    await this.consents
      .releaseFetch(consentId, datasetId, reservation.at, reservation.previous)
      .catch((err) =>
        this.logger.error({ err, consentId, datasetId }, 'fetch reservation could not be released'),
      );
  }

  // ------------------------------------------------------------------------------ audit

  /**
   * Refusals are audited and the audit write is awaited, so that the refusal is in the log
   * when the client reads it (and a flood of refusals is slowed by the log, not piled up in
   * memory). A failed write does not change the answer: a refusal gives nothing away, so it
   * is still given, and the failure is logged.
   *
   * `row` null: the consent is unknown or someone else's. Then the event names the client and
   * the attempted id in `details` only: nothing links it to a citizen or to another client's
   * consent, so neither that citizen's access log nor the consent's history shows it.
   */
  private async refuse(
    req: FetchRequest,
    error: ApiError,
    row: FetchContextRow | null,
    now?: Date,
  ): Promise<never> {
    if (row && error.code === 'consent_expired' && row.status === 'active') {
      // Past its end but not yet recorded by the lifecycle job: shred the identity key now.
      await this.lifecycle
        .expireConsent(row.id, now)
        .catch((err) =>
          this.logger.error({ err, consentId: row.id }, 'consent expiry could not be recorded'),
        );
    }
    const event = row
      ? this.event(req, row, FETCH_REFUSED_AUDIT_KIND, errorOutcome(error.code), {
          httpStatus: error.getStatus(),
        })
      : {
          kind: FETCH_REFUSED_AUDIT_KIND,
          actor: `client:${req.client.clientId}`,
          outcome: errorOutcome(error.code),
          clientId: req.client.clientId,
          datasetId: req.datasetId,
          httpStatus: error.getStatus(),
          durationMs: this.elapsed(req),
          requestId: req.requestId,
          details: {
            code: error.code,
            attemptedConsentId: req.consentId,
            ...(req.correlationId ? { correlationId: req.correlationId } : {}),
          },
        };
    await this.recordQuietly(event);
    throw error;
  }

  private event(
    req: FetchRequest,
    row: FetchContextRow,
    kind: string,
    outcome: AuditOutcome,
    extra: Pick<AuditInput, 'httpStatus' | 'payloadDigest'> & {
      details?: Record<string, unknown>;
    },
  ): AuditInput {
    return {
      kind,
      actor: `client:${req.client.clientId}`,
      outcome,
      clientId: req.client.clientId,
      citizenId: row.citizenId,
      consentId: row.id,
      datasetId: req.datasetId,
      httpStatus: extra.httpStatus ?? null,
      durationMs: this.elapsed(req),
      requestId: req.requestId,
      payloadDigest: extra.payloadDigest ?? null,
      details: {
        ...(outcome === AuditOutcomes.served ? {} : { code: outcome }),
        purpose: row.purpose,
        ...(req.correlationId ? { correlationId: req.correlationId } : {}),
        ...extra.details,
      },
    };
  }

  /** Awaited, but a failure only logs (used where the answer does not depend on it). */
  private async recordQuietly(input: AuditInput): Promise<void> {
    await this.audit
      .record(input)
      .catch((err) =>
        this.logger.error({ err, kind: input.kind }, 'audit event could not be written'),
      );
  }

  private elapsed(req: FetchRequest): number {
    return Math.round(performance.now() - req.started);
  }
}
