/**
 * The registry's hot-path reads (issue 13: a module's tables are reached through its
 * repositories), for RegistryService, which maps the rows and opens provider secrets. Every one
 * is a primary-key or unique-index lookup, or an index range on habilitation(client_id, status).
 * Nothing is cached: a disabled provider, a suspended client or a revoked habilitation is seen
 * by the very next request on every instance.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import type { Client, Dataset, Habilitation, Provider } from '../generated/prisma/client.js';
import { activeHabilitationWhere } from './habilitation-rule.js';

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

  /** Every habilitation of this client active at `at`, newest first. Index: habilitation(client_id, status). */
  activeHabilitations(clientUuid: string, at: Date): Promise<Habilitation[]> {
    return this.prisma.habilitation.findMany({
      where: activeHabilitationWhere(clientUuid, at),
      orderBy: NEWEST_FIRST,
    });
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
