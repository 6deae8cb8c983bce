import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditOutcomes, AuditService, RefusalAuditService } from '../audit/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import type { ConsentRequest, Habilitation } from '../generated/prisma/client.js';
import type { IdentityPivot } from '../identity/index.js';
import { SigningKeyService } from '../signing/index.js';
import { isHabilitationActive, RegistryService } from '../registry/index.js';
import { ConsentDecisionRepository } from './consent-decision.repository.js';
import type {
  ConsentDecision,
  ConsentDecisionContract,
  ConsentRequestView,
  FetchMode,
} from './consent.contract.js';
import { ConsentLifecycleService } from './consent-lifecycle.service.js';
import { ConsentNotifier } from './consent-notifier.service.js';
import { otherCitizen, recordCommitted } from './consent-shared.js';
import { DAY_MS, isUuid, requestStatusAt } from './consent-status.js';
import { ConsentErrors } from './errors.js';
import { sealIdentity } from './identity-sealing.js';
import { canonicalReceiptClaims, citizenPseudonym, RECEIPT_TYP } from './receipt.js';

type RequestWithParties = ConsentRequest & {
  client: { clientId: string; name: string; siret: string; status: string };
  habilitation: Habilitation;
};

/**
 * The citizen's decision on a consent request (see consent.contract.ts): showing the request,
 * binding it to the citizen, and the one-time approval (the signed consent, the sealed identity)
 * or refusal.
 *
 * Every state change is one conditional UPDATE whose WHERE clause carries the rule (still
 * pending, not expired, this citizen…): two browsers, two instances or a decision racing the
 * expiry job can never both win, and nothing is read-then-written.
 */
@Injectable()
export class ConsentDecisionService implements ConsentDecisionContract {
  private readonly logger = new Logger(ConsentDecisionService.name);

  constructor(
    private readonly requests: ConsentDecisionRepository,
    private readonly registry: RegistryService,
    private readonly keys: SigningKeyService,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAuditService,
    private readonly notifier: ConsentNotifier,
    private readonly lifecycle: ConsentLifecycleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async viewRequestForCitizen(
    requestId: string,
    citizenId: string,
    requestIdHeader?: string,
  ): Promise<ConsentRequestView> {
    if (!isUuid(requestId) || !isUuid(citizenId)) throw ConsentErrors.requestNotFound();
    const now = new Date();
    // The first logged-in citizen to open a decidable request owns it (see bindCitizen).
    await this.requests.bindCitizen(requestId, citizenId, now);
    const row = await this.findRequest(requestId);
    if (!row) throw ConsentErrors.requestNotFound();
    if (row.citizenId !== null && row.citizenId !== citizenId) {
      throw otherCitizen(this.refusals, citizenId, 'consent_request', row.id, requestIdHeader);
    }
    const status = requestStatusAt(row, now);
    if (status === 'expired' && row.status === 'pending')
      await this.recordRequestExpiry(row.id, now);

    const datasets = await this.registry.describeDatasets(row.datasets);
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
      throw otherCitizen(this.refusals, citizenId, 'consent_request', row.id, requestIdHeader);
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

    const won = await this.requests.decide(row.id, citizenId, decided, consent, now);
    if (!won) {
      const fresh = await this.findRequest(row.id);
      const refusal = fresh
        ? this.refusalFor(fresh, citizenId, new Date())
        : ConsentErrors.requestNotFound();
      throw refusal ?? ConsentErrors.requestAlreadyDecided();
    }

    await recordCommitted(this.audit, this.logger, {
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

  /** Primary key lookup. */
  async redirectUriOf(requestId: string): Promise<string | null> {
    if (!isUuid(requestId)) return null;
    return this.requests.redirectUriOf(requestId);
  }

  /** The request with its client and habilitation, which the registry gives (by primary key). */
  private async findRequest(id: string): Promise<RequestWithParties | null> {
    const row = await this.requests.findRequest(id);
    if (!row) return null;
    const [client, habilitation] = await Promise.all([
      this.registry.getClientById(row.clientId),
      this.registry.getHabilitationById(row.habilitationId),
    ]);
    // Foreign keys (on delete restrict) keep both; a missing one would be a broken database.
    if (!client || !habilitation)
      throw new Error(`consent request ${id}: client or habilitation missing`);
    const { clientId, name, siret, status } = client;
    return { ...row, client: { clientId, name, siret, status }, habilitation };
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

  private async recordRequestExpiry(requestId: string, now: Date): Promise<void> {
    await this.lifecycle
      .expireRequest(requestId, now)
      .catch((err) =>
        this.logger.error({ err, requestId }, 'request expiry could not be recorded'),
      );
  }
}
