import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AuditOutcomes, canonicalJson, AuditService, RefusalAuditService } from '../audit/index.js';
import { assertOutboundTarget } from '../common/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import type { ConsentRequest } from '../generated/prisma/client.js';
import type { AuthenticatedClient } from '../oauth/index.js';
import {
  type GrantingHabilitation,
  isHabilitationActive,
  RegistryService,
} from '../registry/index.js';
import type { FetchMode } from './consent.contract.js';
import { ConsentRequestsRepository } from './consent-requests.repository.js';
import { ConsentLifecycleService } from './consent-lifecycle.service.js';
import { consentStatusAt, isUuid, requestStatusAt } from './consent-status.js';
import type {
  ConsentRequestCreatedDto,
  ConsentRequestStatusDto,
  CreateConsentRequestDto,
} from './dto/consent-request.dto.js';
import type { ConsentDto } from './dto/consent.dto.js';
import { ConsentErrors } from './errors.js';
import { citizenPseudonym } from './receipt.js';

/** RFC 9110 field-value characters without spaces at the ends: what a key can safely be. */
const IDEMPOTENCY_KEY = /^[\x21-\x7E](?:[\x20-\x7E]{0,253}[\x21-\x7E])?$/;

export interface CreatedRequest {
  body: ConsentRequestCreatedDto;
  /** True when an earlier request with the same Idempotency-Key and body is answered again. */
  replayed: boolean;
}

/**
 * The requesting service's side of consent: asking (`POST /api/v1/consent-requests`) and
 * following up (`GET …/consent-requests/{id}`, `GET …/consents/{id}`). A client only ever
 * finds its own rows: every read filters on its uuid, and another client's id answers exactly
 * like an unknown one (404).
 */
@Injectable()
export class ConsentRequestsService {
  private readonly logger = new Logger(ConsentRequestsService.name);

  constructor(
    private readonly requests: ConsentRequestsRepository,
    private readonly registry: RegistryService,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAuditService,
    private readonly lifecycle: ConsentLifecycleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(
    client: AuthenticatedClient,
    dto: CreateConsentRequestDto,
    idempotencyKey?: string,
    requestIdHeader?: string,
  ): Promise<CreatedRequest> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey))
      throw ConsentErrors.idempotencyKeyInvalid();
    const body = {
      datasets: dto.datasets,
      purpose: dto.purpose,
      durationDays: dto.durationDays,
      redirectUri: dto.redirectUri,
      state: dto.state ?? null,
      fetchMode: dto.fetchMode ?? ('once' as FetchMode),
      notificationUrl: dto.notificationUrl ?? null,
    };
    // Only a request with a key can be answered again, so only its body is digested (~1 % of a
    // request's CPU otherwise). Defaults applied first: omitting fetchMode and sending "once"
    // are the same request.
    const bodyDigest =
      idempotencyKey === undefined
        ? null
        : createHash('sha256').update(canonicalJson(body)).digest('base64url');
    if (idempotencyKey !== undefined) {
      const earlier = await this.requests.findByIdempotencyKey(client.id, idempotencyKey);
      if (earlier) return this.replay(earlier, bodyDigest);
    }

    const now = new Date();
    // One registry statement for the three checks below (client, datasets, habilitations).
    const checks = await this.registry.consentRequestChecks(client.id, body.datasets, now);
    if (!checks || !checks.redirectUris.includes(body.redirectUri))
      throw ConsentErrors.redirectUriNotRegistered();
    if (this.config.mode === 'production' && body.notificationUrl?.startsWith('http:')) {
      throw ConsentErrors.notificationUrlRefused('notificationUrl must use https');
    }
    // SSRF: the gateway POSTs there on decision, expiry and revocation.
    assertOutboundTarget('notificationUrl', body.notificationUrl, this.config.outboundAllowList);
    const active = new Set(checks.activeDatasetIds);
    const unknown = body.datasets.filter((d) => !active.has(d));
    if (unknown.length > 0) throw ConsentErrors.unknownDataset(unknown);
    const habilitation = chooseHabilitation(
      checks.habilitations,
      body.datasets,
      body.durationDays,
      body.fetchMode,
      now,
    );
    // RFC 6750 §3.1, as the fetch does: a token narrowed at issuance (`scope`) cannot ask
    // consent for datasets outside it, even habilitated ones. Checked after the habilitation so
    // that datasets the client may not have at all still answer datasets_not_habilitated.
    const outside = body.datasets.filter((d) => !client.scopes.includes(d));
    if (outside.length > 0) throw ConsentErrors.insufficientScope(outside);

    const row = await this.requests.insert({
      clientId: client.id,
      habilitationId: habilitation.id,
      datasets: body.datasets,
      purpose: body.purpose,
      durationDays: body.durationDays,
      fetchMode: body.fetchMode,
      redirectUri: body.redirectUri,
      state: body.state,
      notificationUrl: body.notificationUrl,
      idempotencyKey: idempotencyKey ?? null,
      bodyDigest,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.consentRequestTtlMinutes * 60_000),
    });
    if (!row) {
      // Two calls with the same key raced past the lookup above: the unique index
      // (client_id, idempotency_key) let one insert through; the other answers with its row.
      const winner =
        idempotencyKey !== undefined
          ? await this.requests.findByIdempotencyKey(client.id, idempotencyKey)
          : null;
      if (winner) return this.replay(winner, bodyDigest);
      throw new Error('consent request refused by a unique index, and no earlier request found');
    }

    await this.audit.record({
      kind: 'consent.requested',
      actor: `client:${client.clientId}`,
      outcome: AuditOutcomes.success,
      clientId: client.clientId,
      requestId: requestIdHeader ?? null,
      details: {
        consentRequestId: row.id,
        habilitationId: habilitation.id,
        datasets: row.datasets,
        durationDays: row.durationDays,
        fetchMode: row.fetchMode,
      },
    });
    return { body: this.created(row, now), replayed: false };
  }

  /** Index: consent_request primary key (then filtered on the client). */
  async getRequest(
    client: AuthenticatedClient,
    id: string,
    requestId?: string,
  ): Promise<ConsentRequestStatusDto> {
    if (!isUuid(id)) throw ConsentErrors.requestNotFound();
    const row = await this.requests.findRequestWithConsent(id);
    if (!row) throw ConsentErrors.requestNotFound();
    if (row.clientId !== client.id) {
      // Answered exactly like a missing one (no enumeration), but audited: a known client tried.
      this.refusals.authenticated({
        actor: `client:${client.clientId}`,
        reason: 'consent_request_of_another_client',
        httpStatus: 404,
        clientId: client.clientId,
        resource: { type: 'consent_request', id },
        requestId,
      });
      throw ConsentErrors.requestNotFound();
    }
    const now = new Date();
    const status = requestStatusAt(row, now);
    if (status === 'expired' && row.status === 'pending')
      await this.recordRequestExpiry(row.id, now);
    return {
      id: row.id,
      status,
      ...(row.consent ? { consentId: row.consent.id } : {}),
      expiresAt: row.expiresAt.toISOString(),
    };
  }

  /** Index: consent primary key (then filtered on the client). */
  async getConsent(
    client: AuthenticatedClient,
    id: string,
    requestId?: string,
  ): Promise<ConsentDto> {
    if (!isUuid(id)) throw ConsentErrors.consentNotFound();
    const row = await this.requests.findConsent(id);
    if (!row) throw ConsentErrors.consentNotFound();
    if (row.clientId !== client.id) {
      this.refusals.authenticated({
        actor: `client:${client.clientId}`,
        reason: 'consent_of_another_client',
        httpStatus: 404,
        clientId: client.clientId,
        consentId: id,
        resource: { type: 'consent', id },
        requestId,
      });
      throw ConsentErrors.consentNotFound();
    }
    const now = new Date();
    const status = consentStatusAt(row, now);
    if (status === 'expired' && row.status === 'active') {
      await this.lifecycle
        .expireConsent(row.id, now)
        .catch((err) =>
          this.logger.error({ err, consentId: row.id }, 'consent expiry could not be recorded'),
        );
    }
    return {
      id: row.id,
      clientId: client.clientId,
      citizen: citizenPseudonym(this.config.masterKey, row.clientId, row.citizenId),
      datasets: row.datasets,
      purpose: row.purpose,
      legalBasis: row.legalBasis,
      createdAt: row.createdAt.toISOString(),
      validFrom: row.validFrom.toISOString(),
      expiresAt: row.expiresAt.toISOString(),
      fetchMode: row.fetchMode,
      fetchCount: row.budget?.fetchCount ?? 0,
      status,
      receipt: row.receipt,
    };
  }

  /** Same key: the same request again if the body is the same, else 422 (never a second request). */
  private replay(earlier: ConsentRequest, bodyDigest: string | null): CreatedRequest {
    if (earlier.bodyDigest !== bodyDigest) throw ConsentErrors.idempotencyKeyReused();
    return { body: this.created(earlier, new Date()), replayed: true };
  }

  private created(row: ConsentRequest, now: Date): ConsentRequestCreatedDto {
    return {
      id: row.id,
      status: requestStatusAt(row, now),
      consentUrl: `${this.config.publicUrl}/consent/${row.id}`,
      expiresAt: row.expiresAt.toISOString(),
    };
  }

  private async recordRequestExpiry(requestId: string, now: Date): Promise<void> {
    await this.lifecycle
      .expireRequest(requestId, now)
      .catch((err) =>
        this.logger.error({ err, requestId }, 'request expiry could not be recorded'),
      );
  }
}

/**
 * ONE active habilitation must cover every dataset. Among those that do, the most recent one
 * that also allows the duration and the fetch mode is used; when none allows them, the refusal
 * names the most recent covering one's limit (registry's habilitation rule). `habilitations`:
 * the client's active ones, most recently granted first.
 */
function chooseHabilitation(
  habilitations: GrantingHabilitation[],
  datasets: string[],
  durationDays: number,
  fetchMode: FetchMode,
  now: Date,
): GrantingHabilitation {
  const covering = habilitations.filter((h) => isHabilitationActive(h, now, datasets));
  if (covering.length === 0) {
    // Name what is missing from the habilitation that comes closest (all of them when none
    // covers any): that is what the operator would have to grant.
    let best: string[] = datasets;
    for (const h of habilitations) {
      const missing = datasets.filter((d) => !h.datasets.includes(d));
      if (missing.length < best.length) best = missing;
    }
    throw ConsentErrors.datasetsNotHabilitated(best);
  }
  const fits = covering.find(
    (h) => durationDays <= h.maxDurationDays && (fetchMode === 'once' || h.allowPeriodic),
  );
  if (fits) return fits;
  const first = covering[0];
  if (durationDays > first.maxDurationDays)
    throw ConsentErrors.durationExceedsHabilitation(first.maxDurationDays);
  throw ConsentErrors.periodicNotAllowed();
}
