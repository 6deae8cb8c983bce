/**
 * The dataset table's queries (issue 13: a module's tables are reached through its
 * repositories). DatasetsService keeps the rules (fields against the schema, one dataset per
 * FranceConnect scope, no deletion while referenced). Writes report constraint errors as
 * WriteConflict.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import type { Dataset, Prisma } from '../generated/prisma/client.js';
import { translatingConflicts } from './write-conflicts.repository.js';

@Injectable()
export class DatasetsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async providerExists(providerId: string): Promise<boolean> {
    const row = await this.prisma.provider.findUnique({
      where: { id: providerId },
      select: { id: true },
    });
    return row !== null;
  }

  /**
   * WriteConflict 'duplicate' when the id (or the FranceConnect scope) is taken, 'referenced'
   * when the provider is gone.
   */
  create(data: Prisma.DatasetUncheckedCreateInput): Promise<Dataset> {
    return translatingConflicts(() => this.prisma.dataset.create({ data }));
  }

  /** One page (see pagination.ts), optionally narrowed to a status and a provider. */
  list(
    page: {
      where: Prisma.DatasetWhereInput;
      orderBy: Prisma.DatasetOrderByWithRelationInput[];
      take: number;
    },
    filter: { status?: Dataset['status']; providerId?: string },
  ): Promise<Dataset[]> {
    return this.prisma.dataset.findMany({
      where: {
        AND: [
          page.where,
          filter.status ? { status: filter.status } : {},
          filter.providerId ? { providerId: filter.providerId } : {},
        ],
      },
      orderBy: page.orderBy,
      take: page.take,
    });
  }

  find(id: string): Promise<Dataset | null> {
    return this.prisma.dataset.findUnique({ where: { id } });
  }

  /** The id of the dataset holding this FranceConnect scope, if any. Index: unique scope. */
  async idByFranceConnectScope(scope: string): Promise<string | null> {
    const row = await this.prisma.dataset.findUnique({
      where: { franceConnectScope: scope },
      select: { id: true },
    });
    return row?.id ?? null;
  }

  /** WriteConflict 'missing' when there is no such dataset. */
  update(id: string, data: Prisma.DatasetUncheckedUpdateInput): Promise<Dataset> {
    return translatingConflicts(() => this.prisma.dataset.update({ where: { id }, data }));
  }

  /** How many habilitations grant this dataset (arrays, no foreign key). */
  countHabilitations(id: string): Promise<number> {
    return this.prisma.habilitation.count({ where: { datasets: { has: id } } });
  }

  /** WriteConflict 'missing' when there is no such dataset. */
  async delete(id: string): Promise<void> {
    await translatingConflicts(() => this.prisma.dataset.delete({ where: { id } }));
  }
}
