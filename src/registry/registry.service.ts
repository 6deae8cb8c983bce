import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { decryptString } from '../common/index.js';
import type { Client, Habilitation, Provider } from '../generated/prisma/client.js';
import { providerSecretContext } from './providers.service.js';
import { RegistryRepository } from './registry.repository.js';
import type {
  ActiveDataset,
  ClientStatusRow,
  ClientSummaryRow,
  ConsentRequestChecks,
  DatasetDescription,
  GrantingHabilitation,
  ProviderAuth,
  ProviderAuthConfig,
  ProviderSummary,
  ProviderWithSecret,
} from './registry.types.js';

/**
 * What other modules read from the registry: the queries of the hot path (consent request,
 * consent page, fetch, token), run by RegistryRepository. Every one is a primary-key or
 * unique-index lookup, or an index range on habilitation(client_id, status). Nothing is cached here: a disabled provider, a
 * suspended client or a revoked habilitation is seen by the very next request on every
 * instance.
 */
@Injectable()
export class RegistryService {
  constructor(
    private readonly registry: RegistryRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Whether a dataset of this id is registered, whatever its status. Index: primary key.
   * For answers that must tell "no such dataset" from "not yours to ask".
   */
  async datasetExists(id: string): Promise<boolean> {
    return this.registry.datasetExists(id);
  }

  /**
   * The dataset and its provider, when both are active; else null.
   * Index: dataset primary key, then provider primary key (one join).
   */
  async getActiveDataset(id: string): Promise<ActiveDataset | null> {
    const row = await this.registry.datasetWithProvider(id);
    if (!row || row.status !== 'active' || row.provider.status !== 'active') return null;
    return toActiveDataset(row);
  }

  /** Whether a dataset is registered at all (active or not). Index: dataset primary key. */
  async getDatasetExists(id: string): Promise<boolean> {
    return this.registry.datasetExists(id);
  }

  /**
   * The active datasets among `ids` (with active providers), in the order of `ids`; unknown or
   * inactive ones are left out (compare lengths to detect them).
   * Index: dataset primary key (`id IN (...)`).
   */
  async getActiveDatasets(ids: string[]): Promise<ActiveDataset[]> {
    if (ids.length === 0) return [];
    const rows = await this.registry.activeDatasetsWithProviders(ids);
    const byId = new Map(rows.map((r) => [r.id, toActiveDataset(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /**
   * An active provider with its decrypted credentials: for the exchange module only, which
   * must keep the secret in memory and out of logs. Null when unknown or disabled.
   * Index: provider primary key.
   */
  async getProviderWithSecret(id: string): Promise<ProviderWithSecret | null> {
    const row = await this.registry.provider(id);
    if (!row || row.status !== 'active') return null;
    return { ...toProviderSummary(row), auth: this.openAuth(row), updatedAt: row.updatedAt };
  }

  /** Service names by public client_id (the access log names who read). Index: client(client_id). */
  async clientNames(clientIds: string[]): Promise<Map<string, string>> {
    if (clientIds.length === 0) return new Map();
    const rows = await this.registry.clientNames(clientIds);
    return new Map(rows.map((c) => [c.clientId, c.name]));
  }

  /**
   * Clients by primary key, in one query: what the consent module shows or audits of the
   * client behind its rows (public client_id, name, SIRET). Index: client primary key.
   */
  async clientsByUuid(uuids: string[]): Promise<Map<string, ClientSummaryRow>> {
    if (uuids.length === 0) return new Map();
    const rows = await this.registry.clientSummaries([...new Set(uuids)]);
    return new Map(rows.map(({ id, ...c }) => [id, c]));
  }

  /** Index: habilitation primary key. Whatever its status (the caller applies the rule). */
  async getHabilitationById(id: string): Promise<Habilitation | null> {
    return this.registry.habilitationById(id);
  }

  /** Habilitations' purposes by primary key, in one query. Index: habilitation primary key. */
  async habilitationPurposes(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.registry.habilitationPurposes([...new Set(ids)]);
    return new Map(rows.map((h) => [h.id, h.purpose]));
  }

  /** Every registered provider's id, name and status (a handful of rows; not on the fetch path). */
  async listProviderStatuses(): Promise<Array<{ id: string; name: string; status: string }>> {
    return this.registry.providerStatuses();
  }

  /** Ids of the active datasets, sorted: the scopes a client may currently be granted. */
  async activeDatasetIds(): Promise<string[]> {
    return this.registry.activeDatasetIds();
  }

  /**
   * What the bearer guard needs of a client, by its public client_id, whatever its status.
   * Index: client(client_id) unique, one row.
   */
  async getClientStatus(clientId: string): Promise<ClientStatusRow | null> {
    const row = await this.registry.clientStatus(clientId);
    return row ? { ...row, status: row.status as ClientStatusRow['status'] } : null;
  }

  /**
   * Datasets with their provider's name, disabled ones included (a request made before still
   * names them): what the consent page and the citizen's list show. Index: dataset primary key.
   */
  async describeDatasets(ids: string[]): Promise<Map<string, DatasetDescription>> {
    if (ids.length === 0) return new Map();
    const rows = await this.registry.datasetsWithProviderName(ids);
    return new Map(
      rows.map((d) => [
        d.id,
        {
          title: d.title,
          description: d.description,
          providerId: d.providerId,
          providerName: d.provider.name,
          fields: (d.fields ?? {}) as Record<string, string>,
        },
      ]),
    );
  }

  /**
   * The habilitation that lets this client (Client.id uuid) ask for ALL of `datasets` at `at`
   * (the habilitation rule, habilitation-rule.ts). The most recently granted wins when several
   * do. Null when none does, or when no dataset is named.
   * Index: habilitation(client_id, status); the few rows of one client are then filtered on
   * validity and `datasets @> $datasets`.
   */
  async findActiveHabilitation(
    clientUuid: string,
    datasets: string[],
    at: Date = new Date(),
  ): Promise<Habilitation | null> {
    if (datasets.length === 0) return null;
    return this.registry.newestActiveHabilitation(clientUuid, datasets, at);
  }

  /**
   * What a consent request checks against the registry, read in one statement: the client's
   * redirect URIs, which of `datasetIds` are active (with an active provider), and the client's
   * habilitations active at `at` (the habilitation rule), most recently granted first, among
   * which the request chooses. Null when the client is unknown. Read afresh every time (see
   * above): a revoked habilitation or a disabled dataset is refused by the very next request.
   */
  async consentRequestChecks(
    clientUuid: string,
    datasetIds: string[],
    at: Date,
  ): Promise<ConsentRequestChecks | null> {
    const rows = await this.registry.consentRequestChecks(clientUuid, datasetIds, at);
    if (rows.length === 0) return null;
    const habilitations: GrantingHabilitation[] = [];
    for (const r of rows) {
      // Null habilitation columns: the one row of a client without an active habilitation.
      if (r.habilitationId === null) continue;
      habilitations.push({
        id: r.habilitationId,
        status: r.habStatus!,
        datasets: r.habDatasets!,
        validFrom: r.habValidFromMs!,
        validTo: r.habValidToMs,
        maxDurationDays: r.maxDurationDays!,
        allowPeriodic: r.allowPeriodic!,
      });
    }
    return {
      redirectUris: rows[0].redirectUris,
      activeDatasetIds: rows[0].activeDatasetIds,
      habilitations,
    };
  }

  /**
   * The dataset ids this client may be granted as token scopes at `at`: those of its
   * habilitations active then (the habilitation rule), each once, sorted.
   * Index: habilitation(client_id, status).
   */
  async grantableDatasets(clientUuid: string, at: Date = new Date()): Promise<string[]> {
    const lists = await this.registry.activeHabilitationDatasets(clientUuid, at);
    return [...new Set(lists.flat())].sort();
  }

  /**
   * A client by its public OAuth client_id, whatever its status (the caller decides what a
   * suspended client may do). The row includes the secret hash and keys: do not serialize it.
   * Index: client(client_id) unique.
   */
  async getClientByClientId(clientId: string): Promise<Client | null> {
    return this.registry.clientByClientId(clientId);
  }

  /**
   * The client registered under this FranceConnect client_id (API FranceConnectée), whatever
   * its status. Index: client(france_connect_client_id) unique.
   */
  async getClientByFranceConnectClientId(fcClientId: string): Promise<Client | null> {
    return this.registry.clientByFranceConnectClientId(fcClientId);
  }

  /** Index: client primary key. */
  async getClientById(id: string): Promise<Client | null> {
    return this.registry.clientById(id);
  }

  private openAuth(row: Provider): ProviderAuth {
    const config = (row.authConfig ?? {}) as ProviderAuthConfig;
    const secret = () => {
      if (!row.secretCiphertext) throw new Error(`provider ${row.id} has no stored secret`);
      return decryptString(
        this.config.masterKey,
        row.secretCiphertext,
        providerSecretContext(row.id),
      );
    };
    switch (row.authKind) {
      case 'none':
        return { kind: 'none' };
      case 'api_key':
        return { kind: 'api_key', headerName: config.headerName ?? '', secret: secret() };
      case 'bearer':
        return { kind: 'bearer', token: secret() };
      case 'oauth2_client_credentials':
        return {
          kind: 'oauth2_client_credentials',
          tokenUrl: config.tokenUrl ?? '',
          clientId: config.clientId ?? '',
          clientSecret: secret(),
          ...(config.scope ? { scope: config.scope } : {}),
        };
    }
  }
}

function toProviderSummary(p: Provider): ProviderSummary {
  return {
    id: p.id,
    name: p.name,
    baseUrl: p.baseUrl,
    timeoutMs: p.timeoutMs,
    maxConcurrency: p.maxConcurrency,
  };
}

function toActiveDataset(row: {
  id: string;
  providerId: string;
  path: string;
  identityParams: unknown;
  responseSchema: unknown;
  title: string;
  description: string;
  fields: unknown;
  updatedAt: Date;
  franceConnectScope?: string | null;
  provider: Provider;
}): ActiveDataset {
  return {
    id: row.id,
    providerId: row.providerId,
    path: row.path,
    identityParams: row.identityParams as ActiveDataset['identityParams'],
    responseSchema: row.responseSchema as Record<string, unknown>,
    title: row.title,
    description: row.description,
    fields: row.fields as Record<string, string>,
    updatedAt: row.updatedAt,
    franceConnectScope: row.franceConnectScope ?? null,
    provider: toProviderSummary(row.provider),
  };
}
