/** Shapes other modules get from `RegistryService` (never Prisma rows with secrets in them). */
import type { IdentityClaim } from './validators.js';

/** How the gateway authenticates to a provider, secret included (exchange module only). */
export type ProviderAuth =
  | { kind: 'none' }
  | { kind: 'api_key'; headerName: string; secret: string }
  | { kind: 'bearer'; token: string }
  | {
      kind: 'oauth2_client_credentials';
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      scope?: string;
    };

/** Non-secret part of a provider's authentication, as stored in `provider.auth_config`. */
export interface ProviderAuthConfig {
  headerName?: string;
  tokenUrl?: string;
  clientId?: string;
  scope?: string;
}

export interface ProviderSummary {
  id: string;
  name: string;
  baseUrl: string;
  timeoutMs: number;
  maxConcurrency: number;
}

export interface ProviderWithSecret extends ProviderSummary {
  auth: ProviderAuth;
  /** Changes whenever the operator edits the provider: a cache key for token caches. */
  updatedAt: Date;
}

export interface ActiveDataset {
  id: string;
  providerId: string;
  path: string;
  /** Identity-pivot claim → query parameter name. */
  identityParams: Partial<Record<IdentityClaim, string>>;
  responseSchema: Record<string, unknown>;
  title: string;
  description: string;
  /** Dotted path → French description shown to the citizen. */
  fields: Record<string, string>;
  /** Changes whenever the operator edits the dataset: a cache key for compiled schemas. */
  updatedAt: Date;
  provider: ProviderSummary;
  /** The FranceConnect data scope granting it on the API FranceConnectée, if any. */
  franceConnectScope?: string | null;
}

/** A client as the bearer guard sees it (RegistryService.getClientStatus). */
export interface ClientStatusRow {
  /** Internal uuid (foreign keys of consent requests and consents). */
  id: string;
  /** Public OAuth client_id. */
  clientId: string;
  name: string;
  siret: string;
  status: 'active' | 'suspended';
}

/** A client as the consent module names it (RegistryService.clientsByUuid). */
export interface ClientSummaryRow {
  /** Public OAuth client_id. */
  clientId: string;
  name: string;
  siret: string;
}

/** A dataset as a consent page names it (registry.describeDatasets). */
export interface DatasetDescription {
  title: string;
  description: string;
  providerId: string;
  providerName: string;
  /** dotted path -> French description */
  fields: Record<string, string>;
}

/** A habilitation as a consent request chooses among them (RegistryService.consentRequestChecks). */
export interface GrantingHabilitation {
  id: string;
  status: string;
  datasets: string[];
  /** Epoch milliseconds. */
  validFrom: number;
  validTo: number | null;
  maxDurationDays: number;
  allowPeriodic: boolean;
}

/** What a consent request checks against the registry (RegistryService.consentRequestChecks). */
export interface ConsentRequestChecks {
  redirectUris: string[];
  /** Those of the asked datasets that are active and whose provider is active, in no order. */
  activeDatasetIds: string[];
  /** The client's habilitations active at the instant asked, most recently granted first. */
  habilitations: GrantingHabilitation[];
}
