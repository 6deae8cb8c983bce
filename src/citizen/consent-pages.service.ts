import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AuditOutcomes,
  AuditService,
  keyedPayloadDigest,
  type AuditOutcome,
} from '../audit/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { ApiError } from '../common/index.js';
import {
  ConsentDecisionService,
  type ConsentDecisionContract,
  type ConsentDecision,
  type ConsentRequestView,
} from '../consent/index.js';
import {
  ProviderAssertions,
  ProviderClient,
  datasetTarget,
  providerTarget,
} from '../exchange/index.js';
import type { CitizenPrincipal } from '../identity/index.js';
import { RegistryService } from '../registry/index.js';
import { CitizenErrors } from './errors.js';
import type { PreviewDataset, PreviewOutcome, PreviewPageModel } from './pages/preview.page.js';

/** Audit kind of one dataset fetched live for the citizen's own eyes (never stored). */
export const PREVIEW_AUDIT_KIND = 'consent.previewed';
/** `purpose` claim of a preview's provider assertion: not a client's use of the data. */
export const PREVIEW_PURPOSE = 'preview';

/** Provider failures that mean "try again later" rather than "something is wrong". */
const UNAVAILABLE_CODES = new Set([
  'provider_error',
  'provider_timeout',
  'provider_circuit_open',
  'provider_busy',
  'provider_disabled',
  'provider_rate_limited',
]);

/**
 * The rules behind the consent page, its decision and its preview. Who may see and decide a
 * request is the consent service's call (`viewRequestForCitizen` binds the request to the first
 * citizen who opens it); this service adds what the pages need around it.
 */
@Injectable()
export class ConsentPagesService {
  private readonly logger = new Logger(ConsentPagesService.name);

  constructor(
    @Inject(ConsentDecisionService) private readonly consents: ConsentDecisionContract,
    private readonly registry: RegistryService,
    private readonly providers: ProviderClient,
    private readonly assertions: ProviderAssertions,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The pending request as the citizen sees it, and its redirect URI (for the page's CSP).
   * Refuses a request already decided (409) or expired (410), even if no job has marked it yet.
   */
  async pendingRequest(
    requestId: string,
    citizen: CitizenPrincipal,
    requestIdHeader: string,
  ): Promise<{ request: ConsentRequestView; redirectUri: string }> {
    const request = await this.consents.viewRequestForCitizen(
      requestId,
      citizen.citizenId,
      requestIdHeader,
    );
    assertDecidable(request);
    // The contract's view leaves the redirect URI out (the citizen has no use for it); the
    // page's form-action policy does.
    const redirectUri = await this.consents.redirectUriOf(request.id);
    if (redirectUri === null) throw CitizenErrors.requestNotFound();
    return { request, redirectUri };
  }

  /** Records the decision; returns where to send the browser (the client's redirect URI). */
  async decide(
    requestId: string,
    citizen: CitizenPrincipal,
    decision: ConsentDecision,
    requestIdHeader: string,
  ): Promise<string> {
    const { redirectUrl } = await this.consents.decide(
      requestId,
      citizen.citizenId,
      citizen.identity,
      decision,
      requestIdHeader,
    );
    return redirectUrl;
  }

  /**
   * Fetches, live, what each requested dataset's provider holds for THIS citizen (identity from
   * the session), for the citizen's eyes only: nothing is stored, each fetch is audited with
   * the digest of what was shown. One dataset's failure does not fail the others.
   */
  async preview(
    requestId: string,
    citizen: CitizenPrincipal,
    requestIdHeader: string,
  ): Promise<PreviewPageModel> {
    const request = await this.consents.viewRequestForCitizen(
      requestId,
      citizen.citizenId,
      requestIdHeader,
    );
    assertDecidable(request);
    const datasets = await Promise.all(
      request.datasets.map((d) => this.previewDataset(request, d, citizen, requestIdHeader)),
    );
    return { requestId: request.id, clientName: request.client.name, datasets };
  }

  private async previewDataset(
    request: ConsentRequestView,
    requested: ConsentRequestView['datasets'][number],
    citizen: CitizenPrincipal,
    requestIdHeader: string,
  ): Promise<PreviewDataset> {
    const shown = (outcome: PreviewOutcome): PreviewDataset => ({
      id: requested.id,
      title: requested.title,
      providerName: requested.provider.name,
      fields: requested.fields,
      outcome,
    });
    const started = Date.now();
    const audit = (
      outcome: AuditOutcome,
      extra: { httpStatus: number; digest?: string; code?: string },
    ) =>
      this.audit.record({
        kind: PREVIEW_AUDIT_KIND,
        actor: `citizen:${citizen.citizenId}`,
        outcome,
        clientId: request.client.clientId,
        citizenId: citizen.citizenId,
        datasetId: requested.id,
        httpStatus: extra.httpStatus,
        durationMs: Date.now() - started,
        requestId: requestIdHeader,
        payloadDigest: extra.digest ?? null,
        details: {
          consentRequestId: request.id,
          providerId: requested.provider.id,
          ...(extra.code ? { code: extra.code } : {}),
        },
      });

    const dataset = await this.registry.getActiveDataset(requested.id);
    const provider = dataset ? await this.registry.getProviderWithSecret(dataset.providerId) : null;
    if (!dataset || !provider) {
      await audit(AuditOutcomes.error, { httpStatus: 503, code: 'dataset_unavailable' });
      return shown({ kind: 'dataset_unavailable' });
    }

    let result: { data: unknown };
    try {
      // A preview has no consent yet: the assertion names the request and says `preview`, so
      // the provider can tell the citizen's own look from a service's fetch.
      const assertion = await this.assertions.sign({
        providerId: provider.id,
        consentId: request.id,
        datasetId: dataset.id,
        purpose: PREVIEW_PURPOSE,
        clientId: request.client.clientId,
        recipient: request.client.siret,
      });
      result = await this.providers.fetchDataset({
        provider: providerTarget(provider),
        dataset: datasetTarget(dataset),
        identity: citizen.identity,
        assertion,
        requestId: requestIdHeader,
      });
    } catch (err) {
      const error = err instanceof ApiError ? err : null;
      const code = error?.code ?? 'preview_failed';
      if (!error) this.logger.error({ err, requestId: requestIdHeader }, 'preview fetch failed');
      const citizenUnknown = code === 'citizen_unknown_to_provider';
      await audit(citizenUnknown ? AuditOutcomes.refused : AuditOutcomes.error, {
        httpStatus: error?.getStatus() ?? 500,
        code,
      });
      if (citizenUnknown) {
        const said = error?.extras.providerMessage;
        return shown({ kind: 'citizen_unknown', message: typeof said === 'string' ? said : '' });
      }
      return shown({ kind: UNAVAILABLE_CODES.has(code) ? 'unavailable' : 'error' });
    }
    // No audit, no data: shown only once its audit record is written.
    await audit(AuditOutcomes.success, {
      httpStatus: 200,
      digest: keyedPayloadDigest(this.config.masterKey, result.data),
    });
    return shown({ kind: 'ok', data: result.data });
  }
}

/** Throws 409 for an answered request, 410 for an expired one (judged now, not by a job). */
export function assertDecidable(request: ConsentRequestView, now: Date = new Date()): void {
  if (request.status === 'approved' || request.status === 'denied') {
    throw CitizenErrors.requestAlreadyDecided();
  }
  if (request.status === 'expired' || request.expiresAt.getTime() <= now.getTime()) {
    throw CitizenErrors.requestExpired();
  }
}
