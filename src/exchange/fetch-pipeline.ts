/**
 * The one path by which a citizen's identity leaves for a data provider, shared by the
 * client's consented fetch (ConsentedFetchService), the citizen's preview (citizen's
 * ConsentPagesService) and the API FranceConnectée (FranceConnectDataService):
 *
 *   call intent (`provider.call`) committed → signed assertion → provider call with its
 *   resilience, schema check and reduction (ProviderClient), bounded by the drain deadline →
 *   keyed digest of the answer → outcome event committed (its id and leaf hash returned for the
 *   provenance) → the data.
 *
 * What differs between the three stays with the caller: what is checked before (consent and
 * budget, FranceConnect's token, the pending request), the events' kinds and fields
 * (FetchAuditEvents), what the gateway gives back when it fails after the budget was taken
 * (`release`), and what the answer looks like. The guarantees held here, for all three:
 * - no intent, no call: if the intent cannot be committed, the provider is not called
 *   (`auditUnavailable`, nothing else recorded);
 * - every intent gets its outcome: a failed call's outcome is written now or, if the database
 *   is away, kept and retried until it is (AuditService.recordDurably);
 * - no audit, no data: the data is returned only once its outcome event is committed;
 * - a failure on the gateway's side (provider call failed, drain deadline, outcome not
 *   written) calls `release` before the error is thrown, so a budget taken is given back.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AuditOutcomes,
  AuditService,
  keyedPayloadDigest,
  type AuditInput,
  type RecordedEvent,
} from '../audit/index.js';
import { ApiError, isDatabaseUnavailable } from '../common/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { DrainService } from '../health/index.js';
import { FetchErrors } from './errors.js';
import type { DatasetTarget, IdentityPivot, ProviderTarget } from './exchange.types.js';
import { ProviderAssertions, type ProviderAssertionClaims } from './provider-assertions.service.js';
import { ProviderClient } from './provider-client.service.js';

/**
 * The call intent: written (awaited, durable) before the identity pivot leaves for the provider,
 * so that no provider call is ever without a trace, even if the process or the database dies
 * before its outcome (same `requestId` and dataset) is written. Outside the `exchange.` prefix:
 * it is not an access the citizen's log lists twice. `npm run audit:verify` reports the intents
 * that have no outcome.
 */
export const CALL_INTENT_AUDIT_KIND = 'provider.call';

/** What the provider answered, as the outcome event records it (never the data itself). */
export interface DeliveredFacts {
  /** Keyed (HMAC) digest of the data returned: the audit row's `payloadDigest`. */
  payloadDigest: string;
  providerDurationMs: number;
  attempts: number;
}

/**
 * The caller's events, built when they are written (so that their duration is the request's
 * at that instant). Kind and outcome of the intent are set by the pipeline.
 */
export interface FetchAuditEvents {
  /** The call intent's fields (who, whose data, which dataset, which provider). */
  intent(): Omit<AuditInput, 'kind' | 'outcome'>;
  /** The outcome of a call that delivered data. */
  delivered(facts: DeliveredFacts): AuditInput;
  /** The outcome of a call that delivered nothing: `error` answered, or null if unexpected. */
  failed(error: ApiError | null): AuditInput;
}

export interface FetchPipelineInput {
  provider: ProviderTarget;
  dataset: DatasetTarget;
  identity: IdentityPivot;
  /** The claims of the signed assertion sent with the call (X-Passerelle-Assertion). */
  assertion: ProviderAssertionClaims;
  requestId: string;
  events: FetchAuditEvents;
  /** Gives back what the caller reserved (fetch budget) when nothing reaches the requester. */
  release?: () => Promise<void>;
  /** The caller's "audit log unavailable" error (default: the exchange's `audit_unavailable`). */
  auditUnavailable?: () => ApiError;
  /** Names the caller in logs. */
  label: string;
}

export interface FetchPipelineResult {
  data: unknown;
  /** When the data was received (ISO 8601), for the provenance. */
  fetchedAt: string;
  /** The outcome event: its id and leaf hash name this access in the transparency log. */
  audited: RecordedEvent;
}

@Injectable()
export class FetchPipeline {
  private readonly logger = new Logger(FetchPipeline.name);

  constructor(
    private readonly assertions: ProviderAssertions,
    private readonly providers: ProviderClient,
    private readonly audit: AuditService,
    private readonly drain: DrainService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Runs one provider call; resolves once its outcome is committed, else throws an ApiError. */
  async run(input: FetchPipelineInput): Promise<FetchPipelineResult> {
    const { events, requestId, label } = input;
    const auditUnavailable = input.auditUnavailable ?? FetchErrors.auditUnavailable;
    const release = async () => {
      if (input.release) await input.release();
    };

    // The call intent is durable before the identity leaves: no intent, no call.
    try {
      await this.audit.record({
        ...events.intent(),
        kind: CALL_INTENT_AUDIT_KIND,
        outcome: AuditOutcomes.started,
      });
    } catch (err) {
      await release();
      // A lost database is reported once a second by ProblemFilter, not once per request.
      if (!isDatabaseUnavailable(err)) {
        this.logger.warn(
          { err, requestId, caller: label },
          'call intent could not be recorded; provider not called',
        );
      }
      throw auditUnavailable();
    }

    let result;
    try {
      // At the drain timeout the wait ends (503 `shutting_down`); whatever the provider answers
      // after that is dropped, and the outcome recorded here says so.
      result = await this.drain.untilDeadline(this.call(input));
    } catch (err) {
      // Nothing reached the requester: what was reserved is given back, whatever failed.
      await release();
      const error = err instanceof ApiError ? err : null;
      if (!error) this.logger.error({ err, requestId, caller: label }, 'fetch failed unexpectedly');
      await this.recordOutcome(events.failed(error));
      throw err;
    }

    const fetchedAt = new Date().toISOString();
    try {
      // No audit, no data: the answer leaves only once this row is committed.
      const audited = await this.audit.recordEvent(
        events.delivered({
          payloadDigest: keyedPayloadDigest(this.config.masterKey, result.data),
          providerDurationMs: result.durationMs,
          attempts: result.attempts,
        }),
      );
      return { data: result.data, fetchedAt, audited };
    } catch (err) {
      // The requester gets nothing, so nothing is spent: the gateway's own failure must not cost
      // the citizen's budget (the call intent already says the provider was called).
      this.logger.error({ err, requestId, caller: label }, 'fetch audit could not be written');
      await release();
      const error = auditUnavailable();
      await this.recordOutcome(events.failed(error));
      throw error;
    }
  }

  private async call(input: FetchPipelineInput) {
    const assertion = await this.assertions.sign(input.assertion);
    return this.providers.fetchDataset({
      provider: input.provider,
      dataset: input.dataset,
      identity: input.identity,
      assertion,
      requestId: input.requestId,
    });
  }

  /**
   * The outcome of a call whose intent is in the log: awaited (it is in the log when the
   * requester reads the answer), and if it cannot be written now, kept and retried until it is
   * (AuditService.recordDurably), so that every intent gets its outcome even through an outage.
   */
  private async recordOutcome(event: AuditInput): Promise<void> {
    await this.audit.record(event).catch(() => this.audit.recordDurably(event));
  }
}
