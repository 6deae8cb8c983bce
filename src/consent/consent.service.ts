import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  AuditOutcomes,
  AuditService,
  type AuditInput,
  RefusalAuditService,
} from '../audit/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { PrismaService } from '../database/index.js';
import { Prisma, type ConsentRequest, type Habilitation } from '../generated/prisma/client.js';
import type { IdentityPivot } from '../identity/index.js';
import { SigningKeyService } from '../signing/index.js';
import { isHabilitationActive, RegistryService } from '../registry/index.js';
import type {
  CitizenConsentView,
  ConsentDecision,
  ConsentForFetch,
  ConsentRequestView,
  ConsentServiceContract,
  FetchMode,
} from './consent.contract.js';
import { ConsentEvents } from './consent-events.js';
import { ConsentLifecycleService, utc } from './consent-lifecycle.service.js';
import { ConsentNotifier } from './consent-notifier.service.js';
import { consentStatusAt, DAY_MS, isUuid, requestStatusAt } from './consent-status.js';
import { ConsentErrors } from './errors.js';
import { openSealedIdentity, sealIdentity } from './identity-sealing.js';
import { canonicalReceiptClaims, citizenPseudonym, RECEIPT_TYP } from './receipt.js';

interface DatasetDescription {
  title: string;
  description: string;
  providerId: string;
  providerName: string;
  fields: Record<string, string>;
}

type RequestWithParties = ConsentRequest & {
  client: { clientId: string; name: string; siret: string; status: string };
  habilitation: Habilitation;
};

/**
 * The consent rules behind the citizen pages and the exchange (see consent.contract.ts): showing
 * a request, the one-time decision, the citizen's list and revocation, and the fetch budget.
 *
 * Every state change is one conditional UPDATE whose WHERE clause carries the rule (still
 * pending, not expired, this citizen, still active…): two browsers, two instances or a decision
 * racing the expiry job can never both win, and nothing is read-then-written.
 */
@Injectable()
export class ConsentService implements ConsentServiceContract {
  private readonly logger = new Logger(ConsentService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly registry: RegistryService,
    private readonly keys: SigningKeyService,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAuditService,
    private readonly events: ConsentEvents,
    private readonly notifier: ConsentNotifier,
    private readonly lifecycle: ConsentLifecycleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // -------------------------------------------------------------------------------------------
  // The citizen's decision
  // -------------------------------------------------------------------------------------------

  async viewRequestForCitizen(
    requestId: string,
    citizenId: string,
    requestIdHeader?: string,
  ): Promise<ConsentRequestView> {
    if (!isUuid(requestId) || !isUuid(citizenId)) throw ConsentErrors.requestNotFound();
    const now = new Date();
    // The first logged-in citizen to open a decidable request owns it: a consent link forwarded
    // or intercepted afterwards is of no use to anyone else.
    await this.prisma.consentRequest.updateMany({
      where: { id: requestId, citizenId: null, status: 'pending', expiresAt: { gt: now } },
      data: { citizenId },
    });
    const row = await this.findRequest(requestId);
    if (!row) throw ConsentErrors.requestNotFound();
    if (row.citizenId !== null && row.citizenId !== citizenId) {
      throw this.otherCitizen(citizenId, 'consent_request', row.id, requestIdHeader);
    }
    const status = requestStatusAt(row, now);
    if (status === 'expired' && row.status === 'pending')
      await this.recordRequestExpiry(row.id, now);

    const datasets = await this.describeDatasets(row.datasets);
    await this.audit.record({
      kind: 'consent.shown',
      actor: `citizen:${citizenId}`,
      outcome: AuditOutcomes.success,
      clientId: row.client.clientId,
      citizenId,
      requestId: requestIdHeader ?? null,
      details: { consentRequestId: row.id, status, datasets: row.datasets },
    });
    return {
      id: row.id,
      status,
      client: { clientId: row.client.clientId, name: row.client.name, siret: row.client.siret },
      purpose: row.purpose,
      habilitationPurpose: row.habilitation.purpose,
      legalBasis: row.habilitation.legalBasis,
      legalBasisUrl: row.habilitation.legalBasisUrl,
      datasets: row.datasets.map((id) => {
        const d = datasets.get(id);
        return {
          id,
          title: d?.title ?? id,
          description: d?.description ?? '',
          provider: { id: d?.providerId ?? '', name: d?.providerName ?? '' },
          fields: d?.fields ?? {},
        };
      }),
      durationDays: row.durationDays,
      validUntil: new Date(now.getTime() + row.durationDays * DAY_MS),
      fetchMode: row.fetchMode as FetchMode,
      expiresAt: row.expiresAt,
      citizenId: row.citizenId,
    };
  }

  async decide(
    requestId: string,
    citizenId: string,
    identity: IdentityPivot,
    decision: ConsentDecision,
    requestIdHeader?: string,
  ): Promise<{ redirectUrl: string; consentId?: string }> {
    if (decision !== 'approve' && decision !== 'deny')
      throw new Error(`unknown decision ${String(decision)}`);
    if (!isUuid(requestId) || !isUuid(citizenId)) throw ConsentErrors.requestNotFound();
    const now = new Date();
    const row = await this.findRequest(requestId);
    if (!row) throw ConsentErrors.requestNotFound();
    // Friendly early answer; the conditional UPDATE below is what actually enforces it.
    const early = this.refusalFor(row, citizenId, now);
    if (early?.code === ConsentErrors.requestOtherCitizen().code) {
      throw this.otherCitizen(citizenId, 'consent_request', row.id, requestIdHeader);
    }
    if (early) {
      if (early.code === 'consent_request_expired' && row.status === 'pending')
        await this.recordRequestExpiry(row.id, now);
      throw early;
    }

    const decided = decision === 'approve' ? 'approved' : 'denied';
    // Everything that needs I/O or a signature is prepared before the transaction.
    const consent =
      decision === 'approve' ? await this.prepareConsent(row, citizenId, identity, now) : null;

    const won = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.consentRequest.updateMany({
        where: {
          id: row.id,
          status: 'pending',
          expiresAt: { gt: now },
          OR: [{ citizenId: null }, { citizenId }],
        },
        data: { status: decided, citizenId, decidedAt: now },
      });
      if (count !== 1) return false;
      if (consent) await tx.consent.create({ data: consent });
      return true;
    });
    if (!won) {
      const fresh = await this.findRequest(row.id);
      const refusal = fresh
        ? this.refusalFor(fresh, citizenId, new Date())
        : ConsentErrors.requestNotFound();
      throw refusal ?? ConsentErrors.requestAlreadyDecided();
    }

    await this.recordAudit({
      kind: decision === 'approve' ? 'consent.approved' : 'consent.denied',
      actor: `citizen:${citizenId}`,
      outcome: AuditOutcomes.success,
      clientId: row.client.clientId,
      citizenId,
      consentId: consent?.id ?? null,
      requestId: requestIdHeader ?? null,
      details: {
        consentRequestId: row.id,
        datasets: row.datasets,
        ...(consent
          ? { expiresAt: consent.expiresAt.toISOString(), fetchMode: consent.fetchMode }
          : {}),
      },
    });
    if (row.notificationUrl) {
      this.notifier.notify(
        {
          url: row.notificationUrl,
          clientId: row.client.clientId,
          consentRequestId: row.id,
          consentId: consent?.id,
        },
        decided,
        now,
      );
    }
    return {
      redirectUrl: this.redirectUrl(row, decided),
      ...(consent ? { consentId: consent.id } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // The citizen's consents
  // -------------------------------------------------------------------------------------------

  /** Index consent(citizen_id). */
  async listForCitizen(citizenId: string): Promise<CitizenConsentView[]> {
    if (!isUuid(citizenId)) return [];
    const now = new Date();
    const rows = await this.prisma.consent.findMany({
      where: { citizenId },
      include: {
        client: { select: { name: true, siret: true } },
        habilitation: { select: { purpose: true } },
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    const datasets = await this.describeDatasets([...new Set(rows.flatMap((r) => r.datasets))]);
    return rows.map((r) => ({
      id: r.id,
      client: { name: r.client.name, siret: r.client.siret },
      datasets: r.datasets.map((id) => ({
        id,
        title: datasets.get(id)?.title ?? id,
        providerName: datasets.get(id)?.providerName ?? '',
      })),
      purpose: r.purpose,
      habilitationPurpose: r.habilitation.purpose,
      legalBasis: r.legalBasis,
      fetchMode: r.fetchMode as FetchMode,
      fetchCount: r.fetchCount,
      servedDatasets: servedDatasets(r.lastFetches),
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
      status: consentStatusAt(r, now),
      revokedAt: r.revokedAt,
    }));
  }

  async revokeByCitizen(
    consentId: string,
    citizenId: string,
    requestIdHeader?: string,
  ): Promise<void> {
    if (!isUuid(consentId) || !isUuid(citizenId)) throw ConsentErrors.consentNotFound();
    const now = new Date();
    // Status and key go together: from this statement on, no fetch can reserve the consent and
    // the identity can no longer be decrypted, on any instance.
    const { count } = await this.prisma.consent.updateMany({
      where: { id: consentId, citizenId, status: 'active', expiresAt: { gt: now } },
      data: { status: 'revoked', revokedAt: now, wrappedKey: null },
    });
    const row = await this.prisma.consent.findFirst({
      where: { id: consentId, citizenId },
      include: {
        client: { select: { clientId: true } },
        request: { select: { notificationUrl: true } },
      },
    });
    // Another citizen's consent: the same answer as an unknown id, but audited.
    if (!row) {
      const exists = await this.prisma.consent.findUnique({
        where: { id: consentId },
        select: { id: true },
      });
      if (exists) this.otherCitizen(citizenId, 'consent', consentId, requestIdHeader, 404);
      throw ConsentErrors.consentNotFound();
    }
    if (count !== 1) {
      // Already revoked or expired: nothing left to revoke (idempotent).
      if (consentStatusAt(row, now) === 'expired' && row.status === 'active')
        await this.lifecycle.expireConsent(row.id, now);
      return;
    }
    this.events.emit({
      type: 'revoked',
      consentId: row.id,
      clientUuid: row.clientId,
      occurredAt: now,
    });
    await this.recordAudit({
      kind: 'consent.revoked',
      actor: `citizen:${citizenId}`,
      outcome: AuditOutcomes.success,
      clientId: row.client.clientId,
      citizenId,
      consentId: row.id,
      requestId: requestIdHeader ?? null,
      details: { consentRequestId: row.requestId, identityKeyDestroyed: true },
    });
    if (row.request.notificationUrl) {
      this.notifier.notify(
        {
          url: row.request.notificationUrl,
          clientId: row.client.clientId,
          consentRequestId: row.requestId,
          consentId: row.id,
        },
        'revoked',
        now,
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // The exchange
  // -------------------------------------------------------------------------------------------

  /** Index: consent primary key. */
  async findForFetch(consentId: string): Promise<ConsentForFetch | null> {
    if (!isUuid(consentId)) return null;
    const row = await this.prisma.consent.findUnique({ where: { id: consentId } });
    if (!row) return null;
    return {
      id: row.id,
      clientUuid: row.clientId,
      citizenId: row.citizenId,
      habilitationId: row.habilitationId,
      datasets: row.datasets,
      purpose: row.purpose,
      fetchMode: row.fetchMode as FetchMode,
      status: row.status,
      expiresAt: row.expiresAt,
      lastFetches: (row.lastFetches ?? {}) as Record<string, string>,
    };
  }

  /**
   * One UPDATE, primary-key row: the whole budget rule is in its WHERE clause, so the check and
   * the spending are atomic. Two instances reserving the same `once` dataset at the same moment
   * serialize on the row lock; PostgreSQL re-evaluates the loser's WHERE against the winner's
   * committed row (READ COMMITTED), sees the dataset in last_fetches, and updates nothing.
   * Raw SQL because Prisma cannot express "this jsonb key is absent or older than X" nor merge
   * one key into a jsonb column. Only portable jsonb operators (`->`, `->>`, `||`): the same
   * statement runs on PostgreSQL and PGlite. `now` is compared as UTC (see utc()).
   */
  async reserveFetch(
    consentId: string,
    datasetId: string,
    minIntervalSeconds: number,
    now: Date = new Date(),
  ): Promise<boolean> {
    if (!isUuid(consentId)) return false;
    const interval = Math.max(0, Math.floor(minIntervalSeconds));
    const at = now.toISOString();
    // hotQuery: outside Prisma's query pipeline (see PrismaService.hotQuery), as every fetch runs it.
    const { rowCount: count } = await this.prisma.hotQuery(Prisma.sql`
      UPDATE consent
      SET fetch_count = fetch_count + 1,
          last_fetches = last_fetches || jsonb_build_object(${datasetId}::text, ${at}::text)
      WHERE id = ${consentId}::uuid
        AND status = 'active'
        AND expires_at > ${utc(now)}
        AND valid_from <= ${utc(now)}
        AND ${datasetId}::text = ANY(datasets)
        AND (
          (last_fetches -> ${datasetId}::text) IS NULL
          OR (
            fetch_mode = 'periodic'
            -- No minimum interval: concurrent fetches all pass, whatever order their clock
            -- readings commit in (else the later reading, committed first, refuses the other).
            AND (${interval}::int = 0
              OR (last_fetches ->> ${datasetId}::text)::timestamptz
                 <= ${at}::timestamptz - (${interval}::int * interval '1 second'))
          )
        )`);
    return count === 1;
  }

  /**
   * Gives a reservation back after a failed provider call: the dataset leaves last_fetches and
   * the count goes down, so a `once` consent can be retried (and a `periodic` one need not wait).
   */
  async releaseFetch(
    consentId: string,
    datasetId: string,
    reservedAt: Date,
    previous: string | null = null,
  ): Promise<void> {
    if (!isUuid(consentId)) return;
    // Conditional on the reservation's own instant (reserveFetch stored it as this ISO text):
    // two releases of one reservation, or a release after a newer reservation, change nothing.
    await this.prisma.$executeRaw`
      UPDATE consent
      SET fetch_count = GREATEST(fetch_count - 1, 0),
          last_fetches = CASE WHEN ${previous}::text IS NULL
            THEN last_fetches - ${datasetId}::text
            ELSE last_fetches || jsonb_build_object(${datasetId}::text, ${previous}::text) END
      WHERE id = ${consentId}::uuid
        AND (last_fetches ->> ${datasetId}::text) = ${reservedAt.toISOString()}::text`;
  }

  async openIdentity(consentId: string): Promise<IdentityPivot> {
    if (!isUuid(consentId)) throw ConsentErrors.consentNotFound();
    const row = await this.prisma.consent.findUnique({
      where: { id: consentId },
      select: {
        id: true,
        status: true,
        expiresAt: true,
        identityCiphertext: true,
        wrappedKey: true,
      },
    });
    if (!row) throw ConsentErrors.consentNotFound();
    const now = new Date();
    const status = consentStatusAt(row, now);
    if (status !== 'active') {
      // Past its end but the job has not run yet: shred now rather than open it once more.
      if (status === 'expired' && row.status === 'active')
        await this.lifecycle.expireConsent(row.id, now);
      throw ConsentErrors.identityShredded();
    }
    if (!row.wrappedKey || !row.identityCiphertext) throw ConsentErrors.identityShredded();
    try {
      return openSealedIdentity(this.config.masterKey, row.id, row);
    } catch (err) {
      // A key that does not open: tampered row or wrong master key. Never a usable identity.
      this.logger.error({ err, consentId: row.id }, 'consent identity could not be decrypted');
      throw ConsentErrors.identityShredded();
    }
  }

  // -------------------------------------------------------------------------------------------

  private findRequest(id: string): Promise<RequestWithParties | null> {
    return this.prisma.consentRequest.findUnique({
      where: { id },
      include: {
        client: { select: { clientId: true, name: true, siret: true, status: true } },
        habilitation: true,
      },
    });
  }

  /**
   * A logged-in citizen reached for another citizen's request or consent: audited (the answer
   * stays the same as for anyone else). Returns the error to throw for a request.
   */
  private otherCitizen(
    citizenId: string,
    type: 'consent_request' | 'consent',
    id: string,
    requestIdHeader?: string,
    httpStatus?: number,
  ) {
    const error = ConsentErrors.requestOtherCitizen();
    this.refusals.authenticated({
      actor: `citizen:${citizenId}`,
      reason: `${type}_of_another_citizen`,
      httpStatus: httpStatus ?? error.getStatus(),
      citizenId,
      ...(type === 'consent' ? { consentId: id } : {}),
      resource: { type, id },
      requestId: requestIdHeader,
    });
    return error;
  }

  /** Why this citizen may not decide this request now, or null if they may. */
  private refusalFor(row: ConsentRequest, citizenId: string, now: Date) {
    if (row.citizenId !== null && row.citizenId !== citizenId)
      return ConsentErrors.requestOtherCitizen();
    const status = requestStatusAt(row, now);
    if (status === 'expired') return ConsentErrors.requestExpired();
    if (status !== 'pending') return ConsentErrors.requestAlreadyDecided();
    return null;
  }

  /**
   * The consent row to insert on approval: terms copied from the request, legal basis from the
   * habilitation, the signed receipt, and the identity sealed under a fresh key. The
   * habilitation, the client and the datasets are checked again: any of them may have been
   * revoked, suspended or disabled while the citizen was reading.
   */
  private async prepareConsent(
    row: RequestWithParties,
    citizenId: string,
    identity: IdentityPivot,
    now: Date,
  ) {
    const hab = row.habilitation;
    const datasets = await this.registry.getActiveDatasets(row.datasets);
    if (
      !isHabilitationActive(hab, now, row.datasets) ||
      datasets.length !== row.datasets.length ||
      row.client.status !== 'active'
    ) {
      throw ConsentErrors.habilitationNoLongerActive();
    }
    const id = randomUUID();
    const expiresAt = new Date(now.getTime() + row.durationDays * DAY_MS);
    const fetchMode = row.fetchMode as FetchMode;
    const claims = canonicalReceiptClaims({
      iss: this.keys.issuer,
      iat: Math.floor(now.getTime() / 1000),
      consent_id: id,
      consent_request_id: row.id,
      client_id: row.client.clientId,
      client_siret: row.client.siret,
      citizen: citizenPseudonym(this.config.masterKey, row.clientId, citizenId),
      datasets: row.datasets,
      purpose: row.purpose,
      habilitation_purpose: hab.purpose,
      legal_basis: hab.legalBasis,
      valid_from: now.toISOString(),
      expires_at: expiresAt.toISOString(),
      fetch_mode: fetchMode,
    });
    const receipt = await this.keys.sign({ ...claims }, { typ: RECEIPT_TYP });
    const sealed = sealIdentity(this.config.masterKey, id, identity);
    return {
      id,
      requestId: row.id,
      citizenId,
      clientId: row.clientId,
      habilitationId: hab.id,
      datasets: row.datasets,
      purpose: row.purpose,
      legalBasis: hab.legalBasis,
      fetchMode,
      createdAt: now,
      validFrom: now,
      expiresAt,
      receipt,
      identityCiphertext: sealed.identityCiphertext,
      wrappedKey: sealed.wrappedKey,
    };
  }

  /**
   * The registered redirect URI (exact match at request time) with our parameters set on its
   * own query, which is kept: URLSearchParams encodes, so `state` cannot inject parameters.
   */
  private redirectUrl(row: ConsentRequest, status: 'approved' | 'denied'): string {
    const url = new URL(row.redirectUri);
    url.searchParams.set('consent_request', row.id);
    url.searchParams.set('status', status);
    if (row.state !== null) url.searchParams.set('state', row.state);
    return url.toString();
  }

  /** Datasets with their provider, disabled ones included (a request made before still names them). */
  private async describeDatasets(ids: string[]): Promise<Map<string, DatasetDescription>> {
    if (ids.length === 0) return new Map();
    const rows = await this.prisma.dataset.findMany({
      where: { id: { in: ids } },
      include: { provider: { select: { name: true } } },
    });
    return new Map(
      rows.map((d) => [
        d.id,
        {
          title: d.title,
          description: d.description,
          providerId: d.providerId,
          providerName: d.provider.name,
          fields: (d.fields ?? {}) as Record<string, string>,
        },
      ]),
    );
  }

  private async recordRequestExpiry(requestId: string, now: Date): Promise<void> {
    await this.lifecycle
      .expireRequest(requestId, now)
      .catch((err) =>
        this.logger.error({ err, requestId }, 'request expiry could not be recorded'),
      );
  }

  /**
   * The decision is committed when this runs: an audit failure must not turn it into an error
   * page (the citizen would retry and meet "already decided"). It is logged loudly instead.
   */
  private async recordAudit(input: AuditInput): Promise<void> {
    await this.audit
      .record(input)
      .catch((err) =>
        this.logger.error({ err, kind: input.kind }, 'audit event could not be written'),
      );
  }
}

/** The datasets a consent's `last_fetches` (jsonb dataset -> time) says were served. */
function servedDatasets(lastFetches: unknown): string[] {
  if (lastFetches === null || typeof lastFetches !== 'object' || Array.isArray(lastFetches)) {
    return [];
  }
  return Object.keys(lastFetches);
}
