import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';
import {
  budgetLeftSql,
  readContextAndReserve,
  type FetchContextQuery,
  type FetchContextRow,
} from './fetch-budget.repository.js';
import { utc } from './consent-expiry.repository.js';

/**
 * The consent table's queries on the fetch path (the exchange's budget and context). Other
 * modules reach them through FetchBudgetService, never through the table.
 */
@Injectable()
export class ConsentRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * One UPDATE of the consent's budget row (primary key), joined to the consent: the whole
   * budget rule is in its WHERE clause, so the check and the spending are atomic. Two instances
   * reserving the same `once` dataset at the same moment serialize on the budget row's lock;
   * PostgreSQL re-evaluates the loser's WHERE against the winner's committed row (READ
   * COMMITTED), sees the dataset in last_fetches, and updates nothing. The consent's state is
   * read as of the statement's start (fetch-budget.repository says why that is enough).
   * Raw SQL because Prisma cannot express "this jsonb key is absent or older than X" nor merge
   * one key into a jsonb column. Only portable jsonb operators (`->`, `->>`, `||`): the same
   * statement runs on PostgreSQL and PGlite. `now` is compared as UTC (see utc()).
   */
  async reserveFetch(
    consentId: string,
    datasetId: string,
    minIntervalSeconds: number,
    now: Date = new Date(),
  ): Promise<boolean> {
    const interval = Math.max(0, Math.floor(minIntervalSeconds));
    const at = now.toISOString();
    // hotQuery: outside Prisma's query pipeline (see PrismaService.hotQuery), as every fetch runs it.
    const { rowCount: count } = await this.prisma.hotQuery(Prisma.sql`
      UPDATE consent_budget b
      SET fetch_count = b.fetch_count + 1,
          last_fetches = b.last_fetches || jsonb_build_object(${datasetId}::text, ${at}::text)
      FROM consent c
      WHERE b.consent_id = ${consentId}::uuid
        AND c.id = b.consent_id
        AND c.status = 'active'
        AND c.expires_at > ${utc(now)}
        AND c.valid_from <= ${utc(now)}
        AND ${datasetId}::text = ANY(c.datasets)
        AND ${budgetLeftSql(Prisma.sql`c.fetch_mode`, datasetId, at, Prisma.sql`${interval}::int`)}`);
    return count === 1;
  }

  /**
   * Gives a reservation back after a failed provider call: the dataset leaves last_fetches and
   * the count goes down, so a `once` consent can be retried (and a `periodic` one need not wait).
   */
  async releaseFetch(
    consentId: string,
    datasetId: string,
    reservedAt: Date,
    previous: string | null = null,
  ): Promise<void> {
    // Conditional on the reservation's own instant (reserveFetch stored it as this ISO text):
    // two releases of one reservation, or a release after a newer reservation, change nothing.
    await this.prisma.$executeRaw`
      UPDATE consent_budget
      SET fetch_count = GREATEST(fetch_count - 1, 0),
          last_fetches = CASE WHEN ${previous}::text IS NULL
            THEN last_fetches - ${datasetId}::text
            ELSE last_fetches || jsonb_build_object(${datasetId}::text, ${previous}::text) END
      WHERE consent_id = ${consentId}::uuid
        AND (last_fetches ->> ${datasetId}::text) = ${reservedAt.toISOString()}::text`;
  }

  /** The fetch's one statement: context read and budget spent (fetch-budget.repository.ts). */
  readContextAndReserve(query: FetchContextQuery): Promise<FetchContextRow | null> {
    return readContextAndReserve(this.prisma, query);
  }

  /** How many consent requests and consents name this dataset (registry's DatasetReferences). */
  async countDatasetReferences(datasetId: string): Promise<{ requests: number; consents: number }> {
    const where = { datasets: { has: datasetId } };
    const [requests, consents] = await Promise.all([
      this.prisma.consentRequest.count({ where }),
      this.prisma.consent.count({ where }),
    ]);
    return { requests, consents };
  }
}
