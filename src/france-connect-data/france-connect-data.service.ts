/**
 * The API FranceConnectée: a service that logged its user in with FranceConnect (data scopes
 * agreed on FranceConnect's side) reads a dataset with that user's FranceConnect access token.
 * Same guarantees as the consented fetch, in this request:
 *   token checked at FranceConnect (ChecktokenClient: verified RFC 9701 introspection, cached
 *   only while the token lives) → the service registered under that FranceConnect client_id,
 *   active → the dataset's FranceConnect scope granted with the token → an active habilitation
 *   of the service covering the dataset → the identity pivot from FranceConnect's userinfo →
 *   the call intent (`provider.call`) committed before the identity leaves for the provider, as
 *   in the consented fetch → the provider call through the exchange's ProviderClient (signed
 *   assertion, resilience, schema check and reduction) → the audit event written before anything
 *   is answered (its id and leaf hash in the provenance, the data's keyed digest in the row).
 * Refusals and failures are audited too, under their own kinds, and linked to the citizen once
 * the caller is known to be a registered service (so they show at /me, "via FranceConnect").
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AuditOutcomes,
  AuditService,
  errorOutcome,
  keyedPayloadDigest,
  type AuditInput,
  type AuditOutcome,
  type RecordedEvent,
} from '../audit/index.js';
import { isDatabaseUnavailable, ApiError } from '../common/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import {
  CALL_INTENT_AUDIT_KIND,
  type IdentityPivot,
  ProviderAssertions,
  ProviderClient,
  datasetTarget,
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
    private readonly assertions: ProviderAssertions,
    private readonly providers: ProviderClient,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
    let assertion: string;
    try {
      identity = await this.checktoken.identity(
        accessToken,
        introspection.clientId,
        Object.keys(dataset.identityParams),
      );
      assertion = await this.assertions.sign({
        providerId: provider.id,
        // No Passerelle consent here: the citizen agreed at FranceConnect. The assertion names
        // the token (a digest: never the token itself) so the provider can tie calls to it.
        consentId: `franceconnect:${tokenReference(accessToken)}`,
        datasetId,
        purpose: habilitation.purpose,
        clientId: client.clientId,
        recipient: client.siret,
      });
    } catch (err) {
      return this.fail(attempt, err, { provider: provider.id });
    }

    // The call intent is durable before the identity leaves: no intent, no call (as the
    // consented fetch; audit:verify lists an intent left without outcome).
    try {
      await this.audit.record(
        this.event(attempt, CALL_INTENT_AUDIT_KIND, AuditOutcomes.started, null, {
          details: { provider: provider.id },
        }),
      );
    } catch (err) {
      // A lost database is reported once a second by ProblemFilter, not once per request.
      if (!isDatabaseUnavailable(err)) {
        this.logger.warn(
          { err, requestId },
          'call intent could not be recorded; provider not called',
        );
      }
      throw E.auditUnavailable();
    }

    let result;
    try {
      result = await this.providers.fetchDataset({
        provider: providerTarget(provider),
        dataset: datasetTarget(dataset),
        identity,
        assertion,
        requestId,
      });
    } catch (err) {
      return this.fail(attempt, err, { provider: provider.id }, true);
    }

    const fetchedAt = new Date().toISOString();
    let audited: RecordedEvent;
    try {
      // No audit, no data: the answer leaves only once this row is committed.
      audited = await this.audit.recordEvent(
        this.event(attempt, FC_FETCH_AUDIT_KIND, AuditOutcomes.served, 200, {
          payloadDigest: keyedPayloadDigest(this.config.masterKey, result.data),
          details: {
            provider: provider.id,
            habilitationId: habilitation.id,
            providerDurationMs: result.durationMs,
            attempts: result.attempts,
          },
        }),
      );
    } catch (err) {
      this.logger.error({ err, requestId }, 'FranceConnect fetch audit could not be written');
      const error = E.auditUnavailable();
      // The intent says the provider was called: its outcome must land, even later.
      await this.recordOutcome(
        this.event(
          attempt,
          FC_FETCH_FAILED_AUDIT_KIND,
          errorOutcome(error.code),
          error.getStatus(),
          {
            details: { provider: provider.id },
          },
        ),
      );
      throw error;
    }
    return {
      data: result.data,
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
   * Audits the refusal or failure (awaited; a lost record is logged and does not change the
   * answer, which gives nothing away), then throws it. 4xx are refusals, the rest failures.
   * After the call intent (`afterIntent`), the record is the call's outcome: kept and retried
   * until the database takes it (AuditService.recordDurably).
   */
  private async fail(
    attempt: Attempt,
    err: unknown,
    details: Record<string, unknown> = {},
    afterIntent = false,
  ): Promise<never> {
    const error = err instanceof ApiError ? err : null;
    if (!error)
      this.logger.error({ err, requestId: attempt.requestId }, 'FranceConnect fetch failed');
    const status = error?.getStatus() ?? 500;
    const code = error?.code ?? 'internal_error';
    const kind = status < 500 ? FC_FETCH_REFUSED_AUDIT_KIND : FC_FETCH_FAILED_AUDIT_KIND;
    const input = this.event(attempt, kind, errorOutcome(code), status, { details });
    if (afterIntent) await this.recordOutcome(input);
    else
      await this.audit
        .record(input)
        .catch((e) => this.logger.error({ err: e, kind }, 'audit event could not be written'));
    throw err;
  }

  /** The outcome of a call whose intent is in the log: now if it can be, else durably later. */
  private async recordOutcome(input: AuditInput): Promise<void> {
    await this.audit.record(input).catch(() => this.audit.recordDurably(input));
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
