/** One line of the citizen's access log ("Qui a consulté mes données"). */
export interface AccessEntry {
  /** Audit event id. */
  id: string;
  occurredAt: Date;
  /** A requesting service's fetch (`exchange.*`), or a preview the citizen asked for. */
  kind: 'fetch' | 'preview';
  /** Public OAuth client_id of the service, when known. */
  clientId: string | null;
  serviceName: string;
  datasetId: string | null;
  datasetTitle: string;
  /** The consent's purpose (for a preview, the request's). */
  purpose: string | null;
  outcome: 'transmitted' | 'previewed' | 'refused' | 'failed';
  /** What happened, in plain French ("transmis", "refusé : consentement révoqué"…). */
  outcomeText: string;
  /** The stable error code of a refusal or failure, when the audit event carries one. */
  code: string | null;
  /** Read with the citizen's FranceConnect access token (API FranceConnectée). */
  viaFranceConnect: boolean;
  /** Via FranceConnect: the scopes the citizen agreed to at FranceConnect for that service. */
  scopes: string[];
}

export interface AccessPage {
  items: AccessEntry[];
  /** Pass back as `before` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}
