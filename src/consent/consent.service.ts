import { Injectable } from '@nestjs/common';
import type { IdentityPivot } from '../identity/index.js';
import { CitizenConsentsService } from './citizen-consents.service.js';
import type {
  CitizenConsentView,
  ConsentDecision,
  ConsentRequestView,
  ConsentServiceContract,
} from './consent.contract.js';
import type { FetchContextQuery, FetchContextRow } from './fetch-budget.repository.js';
import { ConsentDecisionService } from './consent-decision.service.js';
import { FetchBudgetService } from './fetch-budget.service.js';

/**
 * One entry point over the consent module's three jobs, for the test suite and scripts that
 * drive a whole journey (`decide`, then a fetch): it only delegates. The gateway's own modules
 * inject the service of the job they need (ConsentDecisionService, CitizenConsentsService,
 * FetchBudgetService), each behind its contract in consent.contract.ts.
 */
@Injectable()
export class ConsentService implements ConsentServiceContract {
  constructor(
    private readonly decision: ConsentDecisionService,
    private readonly citizens: CitizenConsentsService,
    private readonly budget: FetchBudgetService,
  ) {}

  viewRequestForCitizen(
    requestId: string,
    citizenId: string,
    requestIdHeader?: string,
  ): Promise<ConsentRequestView> {
    return this.decision.viewRequestForCitizen(requestId, citizenId, requestIdHeader);
  }

  decide(
    requestId: string,
    citizenId: string,
    identity: IdentityPivot,
    decision: ConsentDecision,
    requestIdHeader?: string,
  ): Promise<{ redirectUrl: string; consentId?: string }> {
    return this.decision.decide(requestId, citizenId, identity, decision, requestIdHeader);
  }

  redirectUriOf(requestId: string): Promise<string | null> {
    return this.decision.redirectUriOf(requestId);
  }

  listForCitizen(citizenId: string): Promise<CitizenConsentView[]> {
    return this.citizens.listForCitizen(citizenId);
  }

  purposesOf(
    consentIds: string[],
    requestIds: string[],
  ): Promise<{ consents: Map<string, string>; requests: Map<string, string> }> {
    return this.citizens.purposesOf(consentIds, requestIds);
  }

  revokeByCitizen(consentId: string, citizenId: string, requestIdHeader?: string): Promise<void> {
    return this.citizens.revokeByCitizen(consentId, citizenId, requestIdHeader);
  }

  reserveFetch(
    consentId: string,
    datasetId: string,
    minIntervalSeconds: number,
    now?: Date,
  ): Promise<boolean> {
    return this.budget.reserveFetch(consentId, datasetId, minIntervalSeconds, now);
  }

  releaseFetch(
    consentId: string,
    datasetId: string,
    reservedAt: Date,
    previous?: string | null,
  ): Promise<void> {
    return this.budget.releaseFetch(consentId, datasetId, reservedAt, previous);
  }

  readContextAndReserve(query: FetchContextQuery): Promise<FetchContextRow | null> {
    return this.budget.readContextAndReserve(query);
  }
}
