import { Injectable } from '@nestjs/common';
import type { FetchBudgetContract } from './consent.contract.js';
import type { FetchContextQuery, FetchContextRow } from './fetch-budget.repository.js';
import { ConsentRepository } from './consent.repository.js';
import { isUuid } from './consent-status.js';

/**
 * What the exchange asks of a consent (see consent.contract.ts): the fetch's one statement
 * (context read and budget spent), and the budget taken or given back on its own.
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

  /** The fetch's one statement (ConsentRepository.readContextAndReserve). */
  readContextAndReserve(query: FetchContextQuery): Promise<FetchContextRow | null> {
    return this.consents.readContextAndReserve(query);
  }
}
