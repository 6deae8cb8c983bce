/**
 * The provider table's queries (issue 13: a module's tables are reached through its
 * repositories). ProvidersService keeps the rules (SSRF checks, sealing secrets, refusing to
 * delete a provider in use). Writes report constraint errors as WriteConflict.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import type { Prisma, Provider } from '../generated/prisma/client.js';
import { translatingConflicts } from './write-conflicts.repository.js';

@Injectable()
export class ProvidersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** WriteConflict 'duplicate' when the id is taken. */
  create(data: Prisma.ProviderCreateInput): Promise<Provider> {
    return translatingConflicts(() => this.prisma.provider.create({ data }));
  }

  /** One page (see pagination.ts), optionally narrowed to a status. */
  list(
    page: {
      where: Prisma.ProviderWhereInput;
      orderBy: Prisma.ProviderOrderByWithRelationInput[];
      take: number;
    },
    status?: Provider['status'],
  ): Promise<Provider[]> {
    return this.prisma.provider.findMany({
      where: { AND: [page.where, status ? { status } : {}] },
      orderBy: page.orderBy,
      take: page.take,
    });
  }

  find(id: string): Promise<Provider | null> {
    return this.prisma.provider.findUnique({ where: { id } });
  }

  /** WriteConflict 'missing' when there is no such provider. */
  update(id: string, data: Prisma.ProviderUpdateInput): Promise<Provider> {
    return translatingConflicts(() => this.prisma.provider.update({ where: { id }, data }));
  }

  /** How many datasets this provider serves. */
  countDatasets(id: string): Promise<number> {
    return this.prisma.dataset.count({ where: { providerId: id } });
  }

  /**
   * WriteConflict 'missing' when there is no such provider, 'referenced' when a dataset refers
   * to it (FK ON DELETE RESTRICT: one registered after the caller counted).
   */
  async delete(id: string): Promise<void> {
    await translatingConflicts(() => this.prisma.provider.delete({ where: { id } }));
  }
}
