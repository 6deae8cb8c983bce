import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import axios, { AxiosError } from 'axios';
import {
  directAgents,
  directAxiosConfig,
  isOutboundRefusal,
  outboundRequestOptions,
} from '../common/index.js';
import { randomUUID } from 'node:crypto';
import { AuditOutcomes, canonicalJson, AuditService, type AuditInput } from '../audit/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { SigningKeyService } from '../signing/index.js';

/** What happened to a consent request or consent. */
export type ConsentNotificationType = 'approved' | 'denied' | 'revoked' | 'expired';

/** The JSON body POSTed to a request's `notificationUrl`. */
export interface ConsentNotification {
  type: ConsentNotificationType;
  /** Unique per event (the same across retries): receivers deduplicate on it. */
  eventId: string;
  /** Public client_id of the requesting service the event is for. */
  clientId: string;
  consentRequestId: string;
  /** Absent for a request that expired or was refused (no consent exists). */
  consentId?: string;
  /** ISO 8601 */
  occurredAt: string;
}

/** Header carrying the detached JWS (RFC 7515 Appendix F) of the exact body bytes. */
export const SIGNATURE_HEADER = 'X-Passerelle-Signature';
export const NOTIFICATION_TYP = 'passerelle-notification+jws';
export const NOTIFICATION_ATTEMPTS = 5;
const TIMEOUT_MS = 5_000;

export interface NotificationTarget {
  url: string;
  clientId: string;
  consentRequestId: string;
  consentId?: string;
}

/**
 * Tells a requesting service, at the `notificationUrl` it gave with its request, that a consent
 * was approved, refused, revoked or has expired, so it need not poll.
 *
 * Delivery runs in the background and never delays the citizen: the body is signed once (the
 * receiver verifies `X-Passerelle-Signature` against our JWKS, payload re-attached), then POSTed
 * with a 5 s timeout, up to 5 attempts with exponential backoff and jitter (base
 * `NOTIFICATION_RETRY_BASE_MS`, ≈ 2 s, 4 s, 8 s, 16 s, each ×0.5–1.5: under a minute in all).
 * Redirects are not followed: the URL is the client's to get right, and following them would let
 * a redirect steer our requests elsewhere. A final failure is logged and audited
 * (`notification.failed`); the client can still read the state with
 * `GET /api/v1/consent-requests/{id}`, which stays the source of truth.
 */
@Injectable()
export class ConsentNotifier implements OnModuleDestroy {
  private readonly logger = new Logger(ConsentNotifier.name);
  /** Straight to the client's URL, never through an environment proxy (which would also move
   * the connection-time SSRF check onto the proxy's address). */
  private readonly agents = directAgents();
  private readonly http = axios.create({
    ...directAxiosConfig(this.agents),
    timeout: TIMEOUT_MS,
    maxRedirects: 0,
    maxContentLength: 64 * 1024,
    // Any answer is read as an outcome, not thrown: 2xx is delivered, anything else retried.
    validateStatus: () => true,
    responseType: 'text',
    transitional: { clarifyTimeoutError: true },
  });
  private readonly abort = new AbortController();
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly deliveries = new Set<Promise<boolean>>();

  constructor(
    private readonly keys: SigningKeyService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Fire and forget: never throws, never waits. */
  notify(target: NotificationTarget, type: ConsentNotificationType, occurredAt = new Date()): void {
    if (this.abort.signal.aborted) return;
    const delivery = this.deliver(target, type, occurredAt).catch((err) => {
      this.logger.error({ err, type }, 'notification delivery crashed');
      return false;
    });
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  /** Delivers one event with retries; resolves true once a 2xx came back. */
  async deliver(
    target: NotificationTarget,
    type: ConsentNotificationType,
    occurredAt = new Date(),
  ): Promise<boolean> {
    const event: ConsentNotification = {
      type,
      eventId: randomUUID(),
      clientId: target.clientId,
      consentRequestId: target.consentRequestId,
      ...(target.consentId ? { consentId: target.consentId } : {}),
      occurredAt: occurredAt.toISOString(),
    };
    const body = canonicalJson(event);
    const signature = await this.keys.signDetached(body, { typ: NOTIFICATION_TYP });
    const origin = safeOrigin(target.url);
    let lastError = '';
    for (let attempt = 1; attempt <= NOTIFICATION_ATTEMPTS; attempt++) {
      if (this.abort.signal.aborted) return false;
      const outcome = await this.post(target.url, body, signature);
      if (outcome.ok) {
        this.logger.log(
          { type, eventId: event.eventId, origin, attempt },
          'notification delivered',
        );
        return true;
      }
      lastError = outcome.error;
      if (!outcome.retryable) break;
      if (attempt < NOTIFICATION_ATTEMPTS) {
        this.logger.warn(
          { type, eventId: event.eventId, origin, attempt, error: lastError },
          'notification failed, will retry',
        );
        await this.sleep(this.backoff(attempt));
      }
    }
    if (this.abort.signal.aborted) return false;
    this.logger.error(
      { type, eventId: event.eventId, origin, error: lastError },
      'notification abandoned',
    );
    await this.recordFailure({
      kind: 'notification.failed',
      actor: 'gateway',
      outcome: AuditOutcomes.failure,
      clientId: target.clientId,
      consentId: target.consentId ?? null,
      // The origin only: a notification URL's path or query may carry the client's own secret.
      details: {
        type,
        eventId: event.eventId,
        consentRequestId: target.consentRequestId,
        origin,
        error: lastError,
      },
    });
    return false;
  }

  /** Awaited so that `idle()` covers it; a failed audit write is logged, never thrown. */
  private async recordFailure(input: AuditInput): Promise<void> {
    await this.audit
      .record(input)
      .catch((err) =>
        this.logger.error({ err, kind: input.kind }, 'audit event could not be written'),
      );
  }

  private async post(
    url: string,
    body: string,
    signature: string,
  ): Promise<{ ok: boolean; retryable: boolean; error: string }> {
    try {
      // SSRF, at connection time: the URL as written, then every address DNS answers.
      const { lookup } = outboundRequestOptions(url, this.config.outboundAllowList);
      const res = await this.http.post(url, body, {
        headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signature },
        signal: this.abort.signal,
        lookup: lookup as never,
      });
      if (res.status >= 200 && res.status < 300) return { ok: true, retryable: false, error: '' };
      // A 4xx says the receiver will refuse the same bytes again, except these transient ones.
      const retryable = res.status >= 500 || [408, 425, 429].includes(res.status);
      return { ok: false, retryable, error: `HTTP ${res.status}` };
    } catch (err) {
      if (isOutboundRefusal(err)) {
        return { ok: false, retryable: false, error: 'internal address refused' };
      }
      const code = err instanceof AxiosError ? (err.code ?? err.message) : String(err);
      return { ok: false, retryable: true, error: code };
    }
  }

  /** Exponential backoff with jitter (×0.5–1.5), so that receivers coming back are not stampeded. */
  private backoff(attempt: number): number {
    const base = this.config.notificationRetryBaseMs * 2 ** (attempt - 1);
    return Math.round(base * (0.5 + Math.random()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wait = {
        timer: setTimeout(() => {
          this.waits.delete(wait);
          resolve();
        }, ms),
        resolve,
      };
      wait.timer.unref();
      this.waits.add(wait);
    });
  }

  /** Deliveries still in progress (tests wait on this instead of sleeping). */
  async idle(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.all([...this.deliveries]);
  }

  onModuleDestroy(): void {
    // Shutting down: stop retrying (the state stays readable through the API).
    this.abort.abort();
    for (const wait of this.waits) {
      clearTimeout(wait.timer);
      wait.resolve();
    }
    this.waits.clear();
    this.agents.destroy();
  }
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid-url';
  }
}
