/**
 * The client table's queries (issue 13: a module's tables are reached through its
 * repositories). ClientsService keeps the rules (authentication methods, one key source,
 * secrets shown once, invalidation on change). Writes report constraint errors as
 * WriteConflict.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import { Prisma, type Client } from '../generated/prisma/client.js';
import { translatingConflicts } from './write-conflicts.repository.js';

/** A client's changes; `keys` replaces both key sources at once (null clears one). */
export type ClientChanges = Omit<Prisma.ClientUpdateInput, 'jwks' | 'jwksUri'> & {
  keys?: { jwks: Prisma.InputJsonObject | null; jwksUri: string | null };
};

@Injectable()
export class ClientsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** WriteConflict 'duplicate' when the client_id (or another unique field) is taken. */
  create(data: Prisma.ClientCreateInput): Promise<Client> {
    return translatingConflicts(() => this.prisma.client.create({ data }));
  }

  /** One page (see pagination.ts), optionally narrowed to a status. */
  list(
    page: {
      where: Prisma.ClientWhereInput;
      orderBy: Prisma.ClientOrderByWithRelationInput[];
      take: number;
    },
    status?: Client['status'],
  ): Promise<Client[]> {
    return this.prisma.client.findMany({
      where: { AND: [page.where, status ? { status } : {}] },
      orderBy: page.orderBy,
      take: page.take,
    });
  }

  /** By public client_id. Index: client(client_id) unique. */
  find(clientId: string): Promise<Client | null> {
    return this.prisma.client.findUnique({ where: { clientId } });
  }

  /** The internal id of the client registered under this FranceConnect client_id, if any. */
  async idByFranceConnectClientId(fcClientId: string): Promise<string | null> {
    const row = await this.prisma.client.findUnique({
      where: { franceConnectClientId: fcClientId },
      select: { id: true },
    });
    return row?.id ?? null;
  }

  /** WriteConflict 'missing' when there is no such client. */
  update(clientId: string, changes: ClientChanges): Promise<Client> {
    const { keys, ...rest } = changes;
    const data: Prisma.ClientUpdateInput = {
      ...rest,
      ...(keys ? { jwks: keys.jwks ?? Prisma.DbNull, jwksUri: keys.jwksUri } : {}),
    };
    return translatingConflicts(() => this.prisma.client.update({ where: { clientId }, data }));
  }
}
