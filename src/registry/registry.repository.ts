/**
 * The registry's hot-path reads (issue 13: a module's tables are reached through its
 * repositories), for RegistryService, which maps the rows and opens provider secrets. Every one
 * is a primary-key or unique-index lookup, or an index range on habilitation(client_id, status).
 * Nothing is cached: a disabled provider, a suspended client or a revoked habilitation is seen
 * by the very next request on every instance.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import {
  Prisma,
  type Client,
  type Dataset,
  type Habilitation,
  type Provider,
} from '../generated/prisma/client.js';
import { activeHabilitationWhere } from './habilitation-rule.js';
import { activeHabilitationSql } from './habilitations.repository.js';

export type DatasetWithProvider = Dataset & { provider: Provider };
export type DatasetWithProviderName = Dataset & { provider: { name: string } };

/** Most recently granted first (ties broken by id, so the order is total). */
const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

@Injectable()
export class RegistryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Index: dataset primary key. */
  async datasetExists(id: string): Promise<boolean> {
    const row = await this.prisma.dataset.findUnique({ where: { id }, select: { id: true } });
    return row !== null;
  }

  /** Index: dataset primary key, then provider primary key (one join). */
  datasetWithProvider(id: string): Promise<DatasetWithProvider | null> {
    return this.prisma.dataset.findUnique({ where: { id }, include: { provider: true } });
  }

  /** The active datasets among `ids` whose provider is active, in no particular order. */
  activeDatasetsWithProviders(ids: string[]): Promise<DatasetWithProvider[]> {
    return this.prisma.dataset.findMany({
      where: { id: { in: ids }, status: 'active', provider: { status: 'active' } },
      include: { provider: true },
    });
  }

  /** Index: provider primary key. */
  provider(id: string): Promise<Provider | null> {
    return this.prisma.provider.findUnique({ where: { id } });
  }

  /** Index: client(client_id). */
  clientNames(clientIds: string[]): Promise<Array<{ clientId: string; name: string }>> {
    return this.prisma.client.findMany({
      where: { clientId: { in: clientIds } },
      select: { clientId: true, name: true },
    });
  }

  /** Index: client primary key. */
  clientSummaries(
    uuids: string[],
  ): Promise<Array<Pick<Client, 'id' | 'clientId' | 'name' | 'siret'>>> {
    return this.prisma.client.findMany({
      where: { id: { in: uuids } },
      select: { id: true, clientId: true, name: true, siret: true },
    });
  }

  /** Index: habilitation primary key. Whatever its status. */
  habilitationById(id: string): Promise<Habilitation | null> {
    return this.prisma.habilitation.findUnique({ where: { id } });
  }

  /** Index: habilitation primary key. */
  habilitationPurposes(ids: string[]): Promise<Array<{ id: string; purpose: string }>> {
    return this.prisma.habilitation.findMany({
      where: { id: { in: ids } },
      select: { id: true, purpose: true },
    });
  }

  providerStatuses(): Promise<Array<{ id: string; name: string; status: string }>> {
    return this.prisma.provider.findMany({ select: { id: true, name: true, status: true } });
  }

  /** Ids of the active datasets, sorted. */
  async activeDatasetIds(): Promise<string[]> {
    const rows = await this.prisma.dataset.findMany({
      where: { status: 'active' },
      select: { id: true },
      orderBy: { id: 'asc' },
    });
    return rows.map((d) => d.id);
  }

  /** Index: client(client_id) unique, one row. */
  clientStatus(
    clientId: string,
  ): Promise<Pick<Client, 'id' | 'clientId' | 'name' | 'siret' | 'status'> | null> {
    return this.prisma.client.findUnique({
      where: { clientId },
      select: { id: true, clientId: true, name: true, siret: true, status: true },
    });
  }

  /** Disabled ones included. Index: dataset primary key. */
  datasetsWithProviderName(ids: string[]): Promise<DatasetWithProviderName[]> {
    return this.prisma.dataset.findMany({
      where: { id: { in: ids } },
      include: { provider: { select: { name: true } } },
    });
  }

  /**
   * The newest habilitation of this client active at `at` covering all of `datasets` (the
   * habilitation rule's Prisma filter). Index: habilitation(client_id, status); the few rows
   * of one client are then filtered on validity and `datasets @> $datasets`.
   */
  newestActiveHabilitation(
    clientUuid: string,
    datasets: string[],
    at: Date,
  ): Promise<Habilitation | null> {
    return this.prisma.habilitation.findFirst({
      where: activeHabilitationWhere(clientUuid, at, datasets),
      orderBy: NEWEST_FIRST,
    });
  }

  /**
   * What a consent request checks, in one statement (RegistryService.consentRequestChecks):
   * no row when the client is unknown; else one row per habilitation active at `at`, newest
   * first, or one row with null habilitation columns when it has none.
   * hotQuery: this replaced three Prisma reads on every consent request (Prisma's pipeline
   * costs ~0.3 ms of CPU per statement, see PrismaService.hotQuery) and two round trips.
   */
  async consentRequestChecks(
    clientUuid: string,
    datasetIds: string[],
    at: Date,
  ): Promise<ConsentRequestChecksRow[]> {
    const { rows } = await this.prisma.hotQuery<ConsentRequestChecksRow>(
      consentRequestChecksStatement(clientUuid, datasetIds, at),
      // Same text whatever the datasets (one array parameter): prepared once per connection.
      { preparedAs: 'registry_consent_request_checks' },
    );
    return rows;
  }

  /**
   * The datasets of each habilitation of this client active at `at` (the token endpoint's
   * grantable scopes). hotQuery: one Prisma read less on every token request (see
   * consentRequestChecks). Index: habilitation(client_id, status).
   */
  async activeHabilitationDatasets(clientUuid: string, at: Date): Promise<string[][]> {
    const { rows } = await this.prisma.hotQuery<ActiveHabilitationDatasetsRow>(
      activeHabilitationDatasetsStatement(clientUuid, at),
      { preparedAs: 'registry_active_habilitation_datasets' },
    );
    return rows.map((r) => r.datasets);
  }

  /** Index: client(client_id) unique. */
  clientByClientId(clientId: string): Promise<Client | null> {
    return this.prisma.client.findUnique({ where: { clientId } });
  }

  /** Index: client(france_connect_client_id) unique. */
  clientByFranceConnectClientId(fcClientId: string): Promise<Client | null> {
    return this.prisma.client.findUnique({ where: { franceConnectClientId: fcClientId } });
  }

  /** Index: client primary key. */
  clientById(id: string): Promise<Client | null> {
    return this.prisma.client.findUnique({ where: { id } });
  }
}

/** A row of consentRequestChecksStatement. Instants as epoch milliseconds (no time zone). */
export interface ConsentRequestChecksRow {
  redirectUris: string[];
  /** Those of the asked datasets that are active and whose provider is active. */
  activeDatasetIds: string[];
  /** The habilitation columns are null together: the client has no active habilitation. */
  habilitationId: string | null;
  habStatus: string | null;
  habDatasets: string[] | null;
  habValidFromMs: number | null;
  habValidToMs: number | null;
  maxDurationDays: number | null;
  allowPeriodic: boolean | null;
}

/**
 * PostgreSQL type of each column as the driver reports it: the compiler ties the list to the
 * row interface, test/registry-hot-reads.e2e-spec.ts ties it to what the statement returns on
 * the migrated schema (names and type OIDs), so a renamed or retyped column fails a test.
 */
export const CONSENT_REQUEST_CHECKS_COLUMNS = {
  redirectUris: 'text[]',
  activeDatasetIds: 'text[]',
  habilitationId: 'text',
  habStatus: 'text',
  habDatasets: 'text[]',
  habValidFromMs: 'float8',
  habValidToMs: 'float8',
  maxDurationDays: 'int4',
  allowPeriodic: 'bool',
} as const satisfies Record<keyof ConsentRequestChecksRow, string>;

/**
 * Indexes: client primary key; dataset and provider primary keys (the uncorrelated ARRAY is
 * evaluated once, not per row); habilitation(client_id, status), its few rows then filtered by
 * the habilitation rule's SQL form.
 */
export function consentRequestChecksStatement(
  clientUuid: string,
  datasetIds: string[],
  at: Date,
): Prisma.Sql {
  return Prisma.sql`
    SELECT c.redirect_uris AS "redirectUris",
           ARRAY(SELECT d.id FROM dataset d JOIN provider p ON p.id = d.provider_id
                 WHERE d.id = ANY(${datasetIds}::text[])
                   AND d.status = 'active' AND p.status = 'active') AS "activeDatasetIds",
           h.id::text AS "habilitationId",
           h.status::text AS "habStatus",
           h.datasets AS "habDatasets",
           (extract(epoch FROM h.valid_from) * 1000)::float8 AS "habValidFromMs",
           (extract(epoch FROM h.valid_to) * 1000)::float8 AS "habValidToMs",
           h.max_duration_days AS "maxDurationDays",
           h.allow_periodic AS "allowPeriodic"
    FROM client c
    LEFT JOIN habilitation h ON h.client_id = c.id AND ${activeHabilitationSql('h', at)}
    WHERE c.id = ${clientUuid}::uuid
    ORDER BY h.created_at DESC, h.id DESC`;
}

export interface ActiveHabilitationDatasetsRow {
  datasets: string[];
}

export const ACTIVE_HABILITATION_DATASETS_COLUMNS = {
  datasets: 'text[]',
} as const satisfies Record<keyof ActiveHabilitationDatasetsRow, string>;

/** Index: habilitation(client_id, status), then the habilitation rule's SQL form. */
export function activeHabilitationDatasetsStatement(clientUuid: string, at: Date): Prisma.Sql {
  return Prisma.sql`
    SELECT h.datasets AS "datasets"
    FROM habilitation h
    WHERE h.client_id = ${clientUuid}::uuid AND ${activeHabilitationSql('h', at)}`;
}
