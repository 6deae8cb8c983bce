/**
 * Plain inputs of the exchange core. The registry and consent modules map their records onto
 * these shapes; nothing here depends on Prisma, so the provider-calling half can be driven
 * (and tested) on its own.
 */

import { IDENTITY_PIVOT_CLAIMS } from '../identity/index.js';

/** FranceConnect identity-pivot claims a dataset may ask for (one list, in identity). */
export type IdentityClaim = (typeof IDENTITY_PIVOT_CLAIMS)[number];

export const IDENTITY_CLAIMS: readonly IdentityClaim[] = IDENTITY_PIVOT_CLAIMS;

/** The citizen's identity pivot, as FranceConnect gives it (birthplace is '' when born abroad). */
export type IdentityPivot = Partial<Record<IdentityClaim, string | null>>;

export type ProviderAuthKind = 'none' | 'api_key' | 'bearer' | 'oauth2_client_credentials';

/** Non-secret parts of a provider's authentication (the registry's `authConfig`). */
export interface ProviderAuthConfig {
  /** api_key: the header carrying the key (e.g. `X-Api-Key`). */
  headerName?: string;
  /** oauth2_client_credentials: token endpoint (absolute URL). */
  tokenUrl?: string;
  /** oauth2_client_credentials: our client id at the provider. */
  clientId?: string;
  /** oauth2_client_credentials: optional `scope` to ask for. */
  scope?: string;
}

export interface ProviderTarget {
  id: string;
  baseUrl: string;
  authKind: ProviderAuthKind;
  authConfig: ProviderAuthConfig;
  /** Decrypted secret: api key, bearer token or OAuth client secret (null for `none`). */
  secret: string | null;
  /** Total time budget of one fetch, retries and queueing included. */
  timeoutMs: number;
  /** Requests in flight to this provider at most (also the keep-alive pool size). */
  maxConcurrency: number;
  status: 'active' | 'disabled';
}

export interface DatasetTarget {
  id: string;
  providerId: string;
  /** Path appended to the provider's base URL. */
  path: string;
  /** FranceConnect claim -> query parameter name the provider expects. */
  identityParams: Partial<Record<IdentityClaim, string>>;
  /** JSON Schema (draft 2020-12 by default, or draft-07) of the provider's 200 body. */
  responseSchema: object;
  /** Changes whenever the schema does (e.g. the registry's `updatedAt`): when given, it keys
   * the compiled-schema cache instead of a hash of the schema (which costs ~80 µs per fetch
   * when the schema is a fresh object read from the database). */
  schemaVersion?: string;
  /** Dotted field path -> description shown to the citizen; a path naming an object or an
   * array covers everything below it. Only these fields leave the gateway. */
  fields: Record<string, string>;
}

export interface FetchDatasetInput {
  provider: ProviderTarget;
  dataset: DatasetTarget;
  identity: IdentityPivot;
  /** The gateway's signed assertion (compact JWS), sent as `X-Passerelle-Assertion`. */
  assertion?: string;
  /** Propagated as `X-Request-Id`. */
  requestId: string;
}

export interface FetchDatasetResult {
  status: 'ok';
  /** The provider's answer, validated and reduced to the dataset's declared fields. */
  data: unknown;
  durationMs: number;
  /** Data requests sent to the provider (retries included; token requests not counted). */
  attempts: number;
}
