import { Inject, Injectable } from '@nestjs/common';
import { AuditOutcomes, AuditService, type AuditInput, type AuditOutcome } from '../audit/index.js';
import { ApiError } from '../common/index.js';
import {
  ConsentDecisionService,
  type ConsentDecisionContract,
  type ConsentDecision,
  type ConsentRequestView,
} from '../consent/index.js';
import {
  CALL_INTENT_AUDIT_KIND,
  datasetTarget,
  FetchPipeline,
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

const CITIZEN_UNKNOWN = 'citizen_unknown_to_provider';

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
  constructor(
    @Inject(ConsentDecisionService) private readonly consents: ConsentDecisionContract,
    private readonly registry: RegistryService,
    private readonly pipeline: FetchPipeline,
    private readonly audit: AuditService,
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
    // Every event of this dataset's preview: the citizen is the actor, the request its context.
    const event = (
      kind: string,
      outcome: AuditOutcome,
      extra: { httpStatus: number | null; digest?: string; code?: string },
      providerId = requested.provider.id,
    ): AuditInput => ({
      kind,
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
        providerId,
        ...(extra.code ? { code: extra.code } : {}),
      },
    });

    const dataset = await this.registry.getActiveDataset(requested.id);
    const provider = dataset ? await this.registry.getProviderWithSecret(dataset.providerId) : null;
    if (!dataset || !provider) {
      await this.audit.record(
        event(PREVIEW_AUDIT_KIND, AuditOutcomes.error, {
          httpStatus: 503,
          code: 'dataset_unavailable',
        }),
      );
      return shown({ kind: 'dataset_unavailable' });
    }

    let data: unknown;
    try {
      ({ data } = await this.pipeline.run({
        provider: providerTarget(provider),
        dataset: datasetTarget(dataset),
        identity: citizen.identity,
        // A preview has no consent yet: the assertion names the request and says `preview`, so
        // the provider can tell the citizen's own look from a service's fetch.
        assertion: {
          providerId: provider.id,
          consentId: request.id,
          datasetId: dataset.id,
          purpose: PREVIEW_PURPOSE,
          clientId: request.client.clientId,
          recipient: request.client.siret,
        },
        requestId: requestIdHeader,
        label: 'preview',
        events: {
          // Traced before the identity leaves, as every provider call (`provider.call`); its
          // outcome is this dataset's `consent.previewed`.
          intent: () =>
            event(CALL_INTENT_AUDIT_KIND, AuditOutcomes.started, { httpStatus: null }, provider.id),
          delivered: (facts) =>
            event(PREVIEW_AUDIT_KIND, AuditOutcomes.success, {
              httpStatus: 200,
              digest: facts.payloadDigest,
            }),
          failed: (error) => {
            const code = error?.code ?? 'preview_failed';
            return event(
              PREVIEW_AUDIT_KIND,
              code === CITIZEN_UNKNOWN ? AuditOutcomes.refused : AuditOutcomes.error,
              {
                httpStatus: error?.getStatus() ?? 500,
                code,
              },
            );
          },
        },
      }));
    } catch (err) {
      const error = err instanceof ApiError ? err : null;
      // No audit, no data, no call: the page fails as a whole, as any audit outage does.
      if (error?.code === 'audit_unavailable') throw err;
      if (error?.code === CITIZEN_UNKNOWN) {
        const said = error.extras.providerMessage;
        return shown({ kind: 'citizen_unknown', message: typeof said === 'string' ? said : '' });
      }
      return shown({ kind: error && UNAVAILABLE_CODES.has(error.code) ? 'unavailable' : 'error' });
    }
    // Shown only once its audit record is written (the pipeline's outcome).
    return shown({ kind: 'ok', data });
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
