/**
 * The consent module's surface for the rest of the gateway, one contract per job:
 * ConsentDecisionContract (the citizen's decision, ConsentDecisionService),
 * CitizenConsentsContract (the citizen's list and revocation, CitizenConsentsService) and
 * FetchBudgetContract (what the exchange asks, FetchBudgetService). Other modules depend on
 * these shapes only.
 */
import type { IdentityPivot } from '../identity/index.js';
import type { FetchContextQuery, FetchContextRow } from './fetch-budget.repository.js';

export type ConsentDecision = 'approve' | 'deny';
export type FetchMode = 'once' | 'periodic';

/** Everything the consent page shows the citizen, in the registry's words. */
export interface ConsentRequestView {
  id: string;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  client: { clientId: string; name: string; siret: string };
  /** The request's own purpose: the specific case, within the habilitation's. */
  purpose: string;
  /** The habilitation's purpose: what the service is legally allowed to ask for, and why. */
  habilitationPurpose: string;
  legalBasis: string;
  legalBasisUrl: string | null;
  datasets: Array<{
    id: string;
    title: string;
    description: string;
    provider: { id: string; name: string };
    /** dotted path -> French description */
    fields: Record<string, string>;
  }>;
  durationDays: number;
  /** When the consent would end if approved now. */
  validUntil: Date;
  fetchMode: FetchMode;
  /** When this pending request stops being decidable. */
  expiresAt: Date;
  /** Citizen bound to the request (set the first time a logged-in citizen opens it). */
  citizenId: string | null;
}

/** One consent as the citizen sees it at /me. */
export interface CitizenConsentView {
  id: string;
  client: { name: string; siret: string };
  datasets: Array<{ id: string; title: string; providerName: string }>;
  purpose: string;
  /** The habilitation's purpose (the legal frame of `purpose`). */
  habilitationPurpose: string;
  legalBasis: string;
  fetchMode: FetchMode;
  fetchCount: number;
  /** Datasets served at least once under this consent. */
  servedDatasets: string[];
  createdAt: Date;
  expiresAt: Date;
  status: 'active' | 'revoked' | 'expired';
  revokedAt: Date | null;
}

/** The citizen's decision on a consent request. */
export interface ConsentDecisionContract {
  /** For GET /consent/{id}: binds the request to this citizen on first view (another citizen → `consent_request_other_citizen`). Throws `consent_request_not_found`. */
  viewRequestForCitizen(
    requestId: string,
    citizenId: string,
    requestIdHeader?: string,
  ): Promise<ConsentRequestView>;
  /** Approve or deny once; returns the client redirect URL (`redirectUri?consent_request=&status=&state=`). Throws `consent_request_expired` (410) | `consent_request_already_decided` (409) | `consent_request_other_citizen` (403) | `consent_request_not_found` (404) | on approve only, `habilitation_no_longer_active` (409: the habilitation was revoked/ended, the client suspended or a dataset disabled since the request; deny still works). */
  decide(
    requestId: string,
    citizenId: string,
    identity: IdentityPivot,
    decision: ConsentDecision,
    requestIdHeader?: string,
  ): Promise<{ redirectUrl: string; consentId?: string }>;
  /** The client's redirect URI of a request (the consent page's form-action policy); null if unknown. */
  redirectUriOf(requestId: string): Promise<string | null>;
}

/** The citizen's consents: their list at /me, their revocation. */
export interface CitizenConsentsContract {
  listForCitizen(citizenId: string): Promise<CitizenConsentView[]>;
  /** Revokes (crypto-shreds the identity key); idempotent for an already revoked consent; another citizen's → `consent_not_found` (404, no hint it exists). */
  revokeByCitizen(consentId: string, citizenId: string, requestIdHeader?: string): Promise<void>;
  /** Purposes by consent id and by consent request id (uuids): the access log says why. */
  purposesOf(
    consentIds: string[],
    requestIds: string[],
  ): Promise<{ consents: Map<string, string>; requests: Map<string, string> }>;
}

/** What the exchange asks of a consent: the row, its fetch budget, the sealed identity. */
export interface FetchBudgetContract {
  /**
   * Exchange: the fetch's one statement (fetch-budget.repository.ts): reads the context (the
   * consent, its habilitation, the dataset and its provider; the sealed identity only for the
   * caller's own consent) and spends one fetch when every condition holds (`reserved`).
   */
  readContextAndReserve(query: FetchContextQuery): Promise<FetchContextRow | null>;
  /**
   * Exchange: atomically takes one fetch of `datasetId` from the consent's budget (a `once`
   * consent serves each dataset once; `periodic` ones at most every `minIntervalSeconds`), in
   * a single conditional UPDATE (no read-then-write race between instances). Returns false when
   * the budget is spent or the consent is no longer active / has expired.
   */
  reserveFetch(
    consentId: string,
    datasetId: string,
    minIntervalSeconds: number,
    now?: Date,
  ): Promise<boolean>;
  /**
   * Exchange: gives back the reservation taken at `reservedAt` (the `now` given to reserveFetch)
   * when the fetch failed on the gateway's or the provider's side, so it can be retried. Only
   * that reservation: if a later one replaced it, nothing changes (a late failure never erases a
   * newer success). `previous` (the dataset's last fetch before it, ISO) is restored, so a
   * periodic consent's interval still counts from the last fetch that was served.
   */
  releaseFetch(
    consentId: string,
    datasetId: string,
    reservedAt: Date,
    previous?: string | null,
  ): Promise<void>;
}

/** All three jobs: what ConsentService (the facade kept for tests and scripts) offers. */
export type ConsentServiceContract = ConsentDecisionContract &
  CitizenConsentsContract &
  FetchBudgetContract;

export const CONSENT_SERVICE = Symbol('CONSENT_SERVICE');
