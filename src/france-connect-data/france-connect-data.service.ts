/**
 * The API FranceConnectée: a service that logged its user in with FranceConnect (data scopes
 * agreed on FranceConnect's side) reads a dataset with that user's FranceConnect access token.
 * Same guarantees as the consented fetch, in this request:
 *   token checked at FranceConnect (ChecktokenClient: verified RFC 9701 introspection, cached
 *   only while the token lives) → the service registered under that FranceConnect client_id,
 *   active → the dataset's FranceConnect scope granted with the token → an active habilitation
 *   of the service covering the dataset → the identity pivot from FranceConnect's userinfo →
 *   the exchange's FetchPipeline, as the consented fetch: the call intent (`provider.call`)
 *   committed before the identity leaves for the provider, the signed assertion, the provider
 *   call (resilience, schema check and reduction, drain deadline), the audit event written before
 *   anything is answered (its id and leaf hash in the provenance, the data's keyed digest in the
 *   row).
 * Refusals and failures are audited too, under their own kinds, and linked to the citizen once
 * the caller is known to be a registered service (so they show at /me, "via FranceConnect").
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Injectable, Logger } from '@nestjs/common';
import {
  AuditOutcomes,
  AuditService,
  errorOutcome,
  type AuditInput,
  type AuditOutcome,
} from '../audit/index.js';
import { ApiError } from '../common/index.js';
import {
  CALL_INTENT_AUDIT_KIND,
  datasetTarget,
  FetchPipeline,
  type IdentityPivot,
  providerTarget,
} from '../exchange/index.js';
import { IdentityService } from '../identity/index.js';
import { DATASET_ID, RegistryService } from '../registry/index.js';
import { ChecktokenClient, type Introspection } from './checktoken.client.js';
import type { FranceConnectDataResponseDto } from './dto/france-connect-data.dto.js';
import { FranceConnectDataErrors as E } from './errors.js';

/** Audit kinds: under `exchange.` so that the citizen's access log lists them. */
export const FC_FETCH_AUDIT_KIND = 'exchange.france_connect_fetch';
export const FC_FETCH_REFUSED_AUDIT_KIND = 'exchange.france_connect_fetch_refused';
export const FC_FETCH_FAILED_AUDIT_KIND = 'exchange.france_connect_fetch_failed';

/** RFC 6750 §2.1 bearer credentials (b64token). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

interface Attempt {
  datasetId: string;
  requestId: string;
  started: number;
  /** Known once the token is verified. */
  introspection?: Introspection;
  /** Known once the service is found in the registry. */
  clientId?: string;
  citizenId?: string;
  purpose?: string;
}

@Injectable()
export class FranceConnectDataService {
  private readonly logger = new Logger(FranceConnectDataService.name);

  constructor(
    private readonly checktoken: ChecktokenClient,
    private readonly registry: RegistryService,
    private readonly identities: IdentityService,
    private readonly pipeline: FetchPipeline,
    private readonly audit: AuditService,
  ) {}

  async fetch(
    authorization: string | undefined,
    datasetId: string,
    requestId: string,
  ): Promise<FranceConnectDataResponseDto> {
    const attempt: Attempt = { datasetId, requestId, started: performance.now() };
    const match = BEARER.exec(authorization ?? '');
    // Nothing names a citizen or a service yet: not audited (no token is no access).
    if (!match) throw E.missingToken();
    const accessToken = match[1];
    if (!DATASET_ID.test(datasetId)) throw E.datasetNotFound();

    try {
      attempt.introspection = await this.checktoken.introspect(accessToken);
    } catch (err) {
      return this.fail(attempt, err);
    }
    const { introspection } = attempt;

    const client = await this.registry.getClientByFranceConnectClientId(introspection.clientId);
    if (!client) return this.fail(attempt, E.clientNotRegistered());
    attempt.clientId = client.clientId;
    attempt.citizenId = await this.identities.citizenIdForSub(introspection.sub);
    if (client.status !== 'active') return this.fail(attempt, E.clientSuspended());

    const dataset = await this.registry.getActiveDataset(datasetId);
    if (!dataset) {
      return this.fail(
        attempt,
        (await this.registry.getDatasetExists(datasetId))
          ? E.datasetUnavailable(datasetId)
          : E.datasetNotFound(),
      );
    }
    if (!dataset.franceConnectScope || !introspection.scopes.includes(dataset.franceConnectScope)) {
      return this.fail(
        attempt,
        E.insufficientScope(
          dataset.franceConnectScope
            ? `The token was not granted the scope "${dataset.franceConnectScope}" this dataset needs.`
            : 'This dataset is not served on the API FranceConnectée.',
        ),
      );
    }
    const habilitation = await this.registry.findActiveHabilitation(client.id, [datasetId]);
    if (!habilitation) return this.fail(attempt, E.habilitationInactive());
    attempt.purpose = habilitation.purpose;

    const provider = await this.registry.getProviderWithSecret(dataset.providerId);
    if (!provider) return this.fail(attempt, E.datasetUnavailable(datasetId));

    let identity: IdentityPivot;
    try {
      identity = await this.checktoken.identity(
        accessToken,
        introspection.clientId,
        Object.keys(dataset.identityParams),
      );
    } catch (err) {
      return this.fail(attempt, err, { provider: provider.id });
    }

    const details = { provider: provider.id };
    const { data, fetchedAt, audited } = await this.pipeline.run({
      provider: providerTarget(provider),
      dataset: datasetTarget(dataset),
      identity,
      assertion: {
        providerId: provider.id,
        // No Passerelle consent here: the citizen agreed at FranceConnect. The assertion names
        // the token (a digest: never the token itself) so the provider can tie calls to it.
        consentId: `franceconnect:${tokenReference(accessToken)}`,
        datasetId,
        purpose: habilitation.purpose,
        clientId: client.clientId,
        recipient: client.siret,
      },
      requestId,
      label: 'FranceConnect fetch',
      auditUnavailable: E.auditUnavailable,
      events: {
        intent: () =>
          this.event(attempt, CALL_INTENT_AUDIT_KIND, AuditOutcomes.started, null, { details }),
        delivered: (facts) =>
          this.event(attempt, FC_FETCH_AUDIT_KIND, AuditOutcomes.served, 200, {
            payloadDigest: facts.payloadDigest,
            details: {
              ...details,
              habilitationId: habilitation.id,
              providerDurationMs: facts.providerDurationMs,
              attempts: facts.attempts,
            },
          }),
        // A provider's 4xx (citizen unknown…) is a refusal, the rest failures.
        failed: (error) => this.failure(attempt, error, details),
      },
    });
    return {
      data,
      provenance: {
        provider: provider.id,
        dataset: datasetId,
        fetchedAt,
        via: 'franceconnect',
        requestId,
        // The transparency log's leaf of this access: GET /api/v1/audit/proof/inclusion.
        auditEventId: audited.id,
        auditLeafHash: audited.leafHash,
      },
    };
  }

  /**
   * Audits the refusal or failure before the provider call (awaited; a lost record is logged and
   * does not change the answer, which gives nothing away), then throws it.
   */
  private async fail(
    attempt: Attempt,
    err: unknown,
    details: Record<string, unknown> = {},
  ): Promise<never> {
    const error = err instanceof ApiError ? err : null;
    if (!error)
      this.logger.error({ err, requestId: attempt.requestId }, 'FranceConnect fetch failed');
    const input = this.failure(attempt, error, details);
    await this.audit
      .record(input)
      .catch((e) =>
        this.logger.error({ err: e, kind: input.kind }, 'audit event could not be written'),
      );
    throw err;
  }

  /** The event of a refusal (4xx) or failure (the rest). */
  private failure(
    attempt: Attempt,
    error: ApiError | null,
    details: Record<string, unknown>,
  ): AuditInput {
    const status = error?.getStatus() ?? 500;
    const code = error?.code ?? 'internal_error';
    const kind = status < 500 ? FC_FETCH_REFUSED_AUDIT_KIND : FC_FETCH_FAILED_AUDIT_KIND;
    return this.event(attempt, kind, errorOutcome(code), status, { details });
  }

  private event(
    attempt: Attempt,
    kind: string,
    outcome: AuditOutcome,
    httpStatus: number | null,
    extra: { payloadDigest?: string; details?: Record<string, unknown> },
  ): AuditInput {
    const ti = attempt.introspection;
    return {
      kind,
      actor: attempt.clientId
        ? `client:${attempt.clientId}`
        : ti
          ? `franceconnect-client:${ti.clientId}`
          : 'franceconnect-client:unknown',
      outcome,
      clientId: attempt.clientId ?? null,
      // Linked to the citizen only once the caller is a registered service: an unknown caller's
      // attempt is the operator's business, not a line in someone's access log.
      citizenId: attempt.citizenId ?? null,
      datasetId: attempt.datasetId,
      httpStatus,
      durationMs: Math.round(performance.now() - attempt.started),
      requestId: attempt.requestId,
      payloadDigest: extra.payloadDigest ?? null,
      details: {
        ...(outcome === AuditOutcomes.served ? {} : { code: outcome }),
        via: 'franceconnect',
        ...(attempt.purpose ? { purpose: attempt.purpose } : {}),
        ...(ti ? { franceConnectClientId: ti.clientId, scopes: ti.scopes } : {}),
        ...extra.details,
      },
    };
  }
}

/** A stable, non-reversible reference to an access token (never logged or sent as such). */
function tokenReference(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url').slice(0, 22);
}
