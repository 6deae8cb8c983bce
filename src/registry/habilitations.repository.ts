/**
 * The habilitation table's queries (issue 13: a module's tables are reached through its
 * repositories). HabilitationsService keeps the rules (DataPass lifecycle, validity dates);
 * the habilitation rule itself is described in habilitation-rule.ts, whose three forms
 * test/habilitation-rule.e2e-spec.ts checks against each other.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import { Prisma, type Habilitation } from '../generated/prisma/client.js';

export type HabilitationRow = Habilitation & { client: { clientId: string } };
const WITH_CLIENT = { client: { select: { clientId: true } } } as const;

@Injectable()
export class HabilitationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The internal id of the client named `clientId`, or null. */
  async clientUuid(clientId: string): Promise<string | null> {
    const row = await this.prisma.client.findUnique({ where: { clientId }, select: { id: true } });
    return row?.id ?? null;
  }

  /** Those of `ids` that name a registered dataset. */
  async existingDatasetIds(ids: readonly string[]): Promise<Set<string>> {
    const found = await this.prisma.dataset.findMany({
      where: { id: { in: [...ids] } },
      select: { id: true },
    });
    return new Set(found.map((d) => d.id));
  }

  create(data: Prisma.HabilitationUncheckedCreateInput): Promise<HabilitationRow> {
    return this.prisma.habilitation.create({ data, include: WITH_CLIENT });
  }

  /** One page (see pagination.ts), optionally narrowed to a status and a client. */
  list(
    page: {
      where: Prisma.HabilitationWhereInput;
      orderBy: Prisma.HabilitationOrderByWithRelationInput[];
      take: number;
    },
    filter: { status?: Habilitation['status']; clientId?: string },
  ): Promise<HabilitationRow[]> {
    return this.prisma.habilitation.findMany({
      where: {
        AND: [
          page.where,
          filter.status ? { status: filter.status } : {},
          filter.clientId ? { client: { clientId: filter.clientId } } : {},
        ],
      },
      orderBy: page.orderBy,
      take: page.take,
      include: WITH_CLIENT,
    });
  }

  find(id: string): Promise<HabilitationRow | null> {
    return this.prisma.habilitation.findUnique({ where: { id }, include: WITH_CLIENT });
  }

  /**
   * Amends the habilitation only while it is active (conditional UPDATE: a revocation landing
   * between the caller's read and this write wins). False when nothing was updated.
   */
  async updateIfActive(
    id: string,
    data: Prisma.HabilitationUpdateManyMutationInput,
  ): Promise<boolean> {
    const { count } = await this.prisma.habilitation.updateMany({
      where: { id, status: 'active' },
      data,
    });
    return count > 0;
  }
}

/** A table alias or correlation name, spliced into SQL as is: only a plain identifier is accepted. */
const SQL_ALIAS = /^[a-z_][a-z0-9_]*$/;

/**
 * The same rule as a SQL boolean expression over the habilitation row `alias` (its columns
 * status, valid_from, valid_to, datasets): active at `at` and covering every one of `datasets`.
 * The instant and the dataset ids are bound parameters; only the alias is spliced, and it must
 * be a plain identifier (the statement text stays the same for every call with the same alias
 * and number of datasets, so a prepared statement keeps serving it).
 */
export function activeHabilitationSql(
  alias: string,
  at: Date,
  datasets: readonly string[] = [],
): Prisma.Sql {
  if (!SQL_ALIAS.test(alias))
    throw new Error(`activeHabilitationSql: not a plain SQL alias: ${alias}`);
  const a = Prisma.raw(alias);
  // valid_from and valid_to are timestamp(3) holding UTC wall time (as Prisma writes them):
  // compared with the instant as UTC wall time too, else PostgreSQL would read the columns in
  // the session's TimeZone and shift the validity window by its offset.
  const atUtc = Prisma.sql`(${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  const covers = datasets.map((d) => Prisma.sql` AND ${d}::text = ANY(${a}.datasets)`);
  return Prisma.sql`(${a}.status = 'active'
        AND ${a}.valid_from <= ${atUtc}
        AND (${a}.valid_to IS NULL OR ${a}.valid_to > ${atUtc})${covers.length > 0 ? Prisma.join(covers, '', '', '') : Prisma.empty})`;
}
