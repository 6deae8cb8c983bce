import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import type { IdentityPivot } from '../identity/index.js';
import type {
  ConsentForFetch,
  FetchBudgetContract,
  FetchContext,
  FetchMode,
} from './consent.contract.js';
import { ConsentRepository } from './consent.repository.js';
import { ConsentLifecycleService } from './consent-lifecycle.service.js';
import { consentStatusAt, isUuid } from './consent-status.js';
import { ConsentErrors } from './errors.js';
import { openSealedIdentity } from './identity-sealing.js';

/**
 * What the exchange asks of a consent (see consent.contract.ts): the consent as stored, its
 * fetch budget (taken and given back by one conditional UPDATE each) and the sealed identity
 * pivot, opened only while the consent is active.
 */
@Injectable()
export class FetchBudgetService implements FetchBudgetContract {
  private readonly logger = new Logger(FetchBudgetService.name);

  constructor(
    private readonly consents: ConsentRepository,
    private readonly lifecycle: ConsentLifecycleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Index: consent primary key. */
  async findForFetch(consentId: string): Promise<ConsentForFetch | null> {
    if (!isUuid(consentId)) return null;
    const row = await this.consents.findById(consentId);
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
   * the spending are atomic (ConsentRepository.reserveFetch says how).
   */
  async reserveFetch(
    consentId: string,
    datasetId: string,
    minIntervalSeconds: number,
    now: Date = new Date(),
  ): Promise<boolean> {
    if (!isUuid(consentId)) return false;
    return this.consents.reserveFetch(consentId, datasetId, minIntervalSeconds, now);
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
    await this.consents.releaseFetch(consentId, datasetId, reservedAt, previous);
  }

  /** Query 1 of a fetch (ConsentRepository.loadFetchContext). */
  loadFetchContext(
    consentId: string,
    datasetId: string,
    clientUuid: string,
  ): Promise<FetchContext | null> {
    return this.consents.loadFetchContext(consentId, datasetId, clientUuid);
  }

  async openIdentity(consentId: string): Promise<IdentityPivot> {
    if (!isUuid(consentId)) throw ConsentErrors.consentNotFound();
    const row = await this.consents.findSealedIdentity(consentId);
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
}
