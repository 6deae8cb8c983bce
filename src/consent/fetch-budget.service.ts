import { Injectable } from '@nestjs/common';
import type { FetchBudgetContract, FetchContext } from './consent.contract.js';
import { ConsentRepository } from './consent.repository.js';
import { isUuid } from './consent-status.js';

/**
 * What the exchange asks of a consent (see consent.contract.ts): its fetch context (query 1 of
 * a fetch) and its fetch budget, taken and given back by one conditional UPDATE each.
 */
@Injectable()
export class FetchBudgetService implements FetchBudgetContract {
  constructor(private readonly consents: ConsentRepository) {}

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
}
